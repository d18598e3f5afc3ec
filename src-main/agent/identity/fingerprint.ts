/**
 * Machine fingerprint for licensing: SHA-256 (64 hex) over inputs that survive restarts, network changes and
 * running as another user, and that exist in containers and VMs:
 *   1. the OS machine id — Linux /etc/machine-id (or /var/lib/dbus/machine-id), macOS IOPlatformUUID (ioreg),
 *      Windows HKLM\SOFTWARE\Microsoft\Cryptography\MachineGuid;
 *   2. os.platform(), os.arch() and the first CPU model string.
 * Deliberately NOT used: MAC addresses (Docker/VPN/Wi-Fi change them), IP addresses, the hostname (renamed
 * machines and per-container hostnames), DMI hardware UUIDs (empty in containers, root-only on Linux, so the same
 * machine would hash differently for root and a user), memory size (VMs resize).
 * Last resort: when no machine id can be read, a random install id persisted in <dataDir>/install-id takes its
 * place — stable for this installation, not across reinstalls (documented in README).
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, arch, cpus, platform } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function readFirst(paths: string[]): Promise<string | null> {
  for (const p of paths) {
    try {
      const v = readFileSync(p, 'utf8').trim();
      if (v) return v;
    } catch {
      // try the next one
    }
  }
  return null;
}

/** The OS's own stable machine id, or null where none is readable. */
export async function osMachineId(): Promise<string | null> {
  try {
    if (platform() === 'linux' || platform() === 'freebsd') {
      return await readFirst(['/etc/machine-id', '/var/lib/dbus/machine-id', '/etc/hostid']);
    }
    if (platform() === 'darwin') {
      const { stdout } = await run('ioreg', ['-rd1', '-c', 'IOPlatformExpertDevice'], { timeout: 3000 });
      return /"IOPlatformUUID"\s*=\s*"([^"]+)"/.exec(stdout)?.[1] ?? null;
    }
    if (platform() === 'win32') {
      const { stdout } = await run(
        'reg',
        ['query', 'HKLM\\SOFTWARE\\Microsoft\\Cryptography', '/v', 'MachineGuid'],
        { timeout: 3000 },
      );
      return /MachineGuid\s+REG_SZ\s+(\S+)/i.exec(stdout)?.[1] ?? null;
    }
  } catch {
    // fall through to the install id
  }
  return null;
}

/** Random id for this installation, created on first use (0600). */
export function installId(dataDir: string): string {
  const path = join(dataDir, 'install-id');
  if (existsSync(path)) {
    const v = readFileSync(path, 'utf8').trim();
    if (/^[0-9a-f]{32}$/.test(v)) return v;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const id = randomBytes(16).toString('hex');
  writeFileSync(path, `${id}\n`, { mode: 0o600 });
  return id;
}

export interface FingerprintInputs {
  machine_id: string | null;
  install_id: string | null;
  platform: string;
  arch: string;
  cpu_model: string;
}

export async function fingerprintInputs(opts: { dataDir?: string } = {}): Promise<FingerprintInputs> {
  const machineId = await osMachineId();
  return {
    machine_id: machineId,
    install_id: machineId ? null : installId(opts.dataDir ?? join(homedir(), '.outpost')),
    platform: platform(),
    arch: arch(),
    cpu_model: (cpus()[0]?.model ?? 'unknown').trim().replace(/\s+/g, ' '),
  };
}

export function hashInputs(i: FingerprintInputs): string {
  const parts = [
    'outpost-fp-v1',
    i.machine_id ? `mid:${i.machine_id}` : `iid:${i.install_id ?? ''}`,
    i.platform,
    i.arch,
    i.cpu_model,
  ];
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

const cache = new Map<string, Promise<string>>();

/** 64 lowercase hex characters, stable for this machine (see the module comment for the inputs). */
export function machineFingerprint(opts: { dataDir?: string } = {}): Promise<string> {
  const key = opts.dataDir ?? '';
  let p = cache.get(key);
  if (!p) {
    p = fingerprintInputs(opts).then(hashInputs);
    p.catch(() => cache.delete(key));
    cache.set(key, p);
  }
  return p;
}
