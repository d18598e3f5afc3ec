/**
 * Device info for registration and heartbeats (seed 004): ip_address, ip_lan, ip_public, mac, note, cluster_ip.
 * Every field is optional on the wire: anything we cannot find is left out (the server then uses the
 * connection address). Collection never throws and never blocks a heartbeat for long:
 *  - the default interface comes from systeminformation, its addresses from os.networkInterfaces(), cached
 *    for 5 minutes (see readLocal);
 *  - the public IP is looked up only when a lookup URL is configured, with a 3 s timeout, cached longer.
 */
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';
import axios from 'axios';
import { createLogger } from '../logging/logger.js';

const log = createLogger('identity');

type SiNetwork = Pick<typeof import('systeminformation'), 'networkInterfaceDefault'>;
let siNetwork: SiNetwork | null = null;

/**
 * Only systeminformation's network module, loaded on first use: its index eagerly loads ~20 modules (CPU,
 * battery, Docker, printers…) we never call, ~1 MB of heap for the lifetime of the headless agent, whose idle memory has a budget (BENCHMARKS.md, agent).
 * Same function as `si.networkInterfaceDefault` (the index re-exports it from lib/network.js).
 */
function siNet(): SiNetwork {
  siNetwork ??= createRequire(import.meta.url)('systeminformation/lib/network.js') as SiNetwork;
  return siNetwork;
}

export interface DeviceInfo {
  ip_address?: string;
  ip_lan?: string;
  ip_public?: string;
  mac?: string;
  note?: string;
  cluster_ip?: string;
}

export interface CollectOptions {
  note?: string;
  publicIpUrl?: string;
  clusterIp?: string;
  /** Reuse interface data younger than this (default 5 min); 0 forces a fresh read. */
  maxAgeMs?: number;
  publicIpTimeoutMs?: number;
  /** Wait for a stale public IP lookup (registration); heartbeats use the last known value and refresh behind. */
  waitPublicIp?: boolean;
}

/** RFC 1918 IPv4, IPv6 unique-local (fc00::/7). Link-local and loopback are not a LAN address. */
export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) {
    const [a = 0, b = 0] = ip.split('.').map(Number);
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  if (isIP(ip) === 6) return /^f[cd][0-9a-f]{2}:/i.test(ip);
  return false;
}

interface LocalInfo {
  ip_address?: string;
  ip_lan?: string;
  mac?: string;
}

let localCache: { at: number; value: LocalInfo } | null = null;
let publicCache: { at: number; url: string; value: string | undefined } | null = null;
const PUBLIC_TTL_MS = 10 * 60_000;

interface Iface {
  iface: string;
  ip4?: string;
  ip6?: string;
  mac?: string;
}

/** Non-internal interfaces with their first IPv4 / non-link-local IPv6 address. */
function listInterfaces(): Iface[] {
  const out: Iface[] = [];
  for (const [iface, addrs] of Object.entries(networkInterfaces())) {
    const external = (addrs ?? []).filter((a) => !a.internal);
    if (external.length === 0) continue;
    const ip4 = external.find((a) => a.family === 'IPv4')?.address;
    const ip6 = external.find((a) => a.family === 'IPv6' && !/^fe80:/i.test(a.address))?.address;
    const mac = external.find((a) => a.mac && a.mac !== '00:00:00:00:00:00')?.mac;
    if (ip4 || ip6) out.push({ iface, ip4, ip6, mac });
  }
  return out;
}

/**
 * The primary (default-route) interface comes from systeminformation; the addresses from os.networkInterfaces():
 * si.networkInterfaces() would add speed/duplex/DHCP details we do not send, at 100–250 ms of spawned tools.
 */
async function readLocal(): Promise<LocalInfo> {
  const out: LocalInfo = {};
  try {
    let defName: string | undefined;
    try {
      defName = await siNet().networkInterfaceDefault();
    } catch {
      defName = undefined; // no default route: fall back to the first external interface
    }
    const external = listInterfaces();
    const primary = external.find((i) => i.iface === defName) ?? external[0];
    if (primary) {
      const addr = primary.ip4 ?? primary.ip6;
      if (addr) out.ip_address = addr;
      if (primary.mac) out.mac = primary.mac.toUpperCase();
    }
    const ordered = primary ? [primary, ...external.filter((i) => i !== primary)] : external;
    for (const i of ordered) {
      const lan = [i.ip4, i.ip6].find((ip) => ip && isPrivateAddress(ip));
      if (lan) {
        out.ip_lan = lan;
        break;
      }
    }
  } catch (err) {
    log.debug({ err }, 'network interface read failed; leaving fields out');
  }
  return out;
}

let publicInFlight: Promise<string | undefined> | null = null;

async function fetchPublicIp(url: string, timeoutMs: number): Promise<string | undefined> {
  let value: string | undefined;
  try {
    const res = await axios.get<string>(url, {
      timeout: timeoutMs,
      responseType: 'text',
      signal: AbortSignal.timeout(timeoutMs),
      maxContentLength: 1024,
      proxy: false,
    });
    const text = String(res.data).trim();
    const parsed = text.startsWith('{') ? (JSON.parse(text) as { ip?: unknown }).ip : text;
    if (typeof parsed === 'string' && isIP(parsed.trim())) value = parsed.trim();
  } catch (err) {
    log.debug({ err, url }, 'public IP lookup failed; leaving ip_public out');
  }
  publicCache = { at: Date.now(), url, value };
  return value;
}

/** Fresh cached value, else (wait ? the lookup : the last known value while a lookup runs behind). */
async function publicIp(url: string, timeoutMs: number, wait: boolean): Promise<string | undefined> {
  const known = publicCache && publicCache.url === url ? publicCache : null;
  if (known && Date.now() - known.at < PUBLIC_TTL_MS) return known.value;
  publicInFlight ??= fetchPublicIp(url, timeoutMs).finally(() => {
    publicInFlight = null;
  });
  return wait ? publicInFlight : known?.value;
}

export async function collectDeviceInfo(opts: CollectOptions = {}): Promise<DeviceInfo> {
  const maxAge = opts.maxAgeMs ?? 5 * 60_000;
  if (!localCache || Date.now() - localCache.at >= maxAge) {
    localCache = { at: Date.now(), value: await readLocal() };
  }
  const info: DeviceInfo = { ...localCache.value };
  if (opts.publicIpUrl) {
    const ip = await publicIp(opts.publicIpUrl, opts.publicIpTimeoutMs ?? 3000, opts.waitPublicIp ?? false);
    if (ip) info.ip_public = ip;
  }
  if (opts.note) info.note = opts.note;
  if (opts.clusterIp) info.cluster_ip = opts.clusterIp;
  log.debug({ device_info: info }, 'device info collected');
  return info;
}

/** Forget cached interface / public IP data (tests, or after a network change event). */
export function resetDeviceInfoCache(): void {
  localCache = null;
  publicCache = null;
  publicInFlight = null;
}
