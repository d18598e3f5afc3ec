import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  collectDeviceInfo,
  fingerprintInputs,
  installId,
  isPrivateAddress,
  machineFingerprint,
  resetDeviceInfoCache,
} from '../../src-main/agent/identity/index.js';
import { hashInputs } from '../../src-main/agent/identity/fingerprint.js';

let server: Server;
let base = '';
const dirs: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ip') res.end('203.0.113.42\n');
    else if (req.url === '/json') res.end(JSON.stringify({ ip: '198.51.100.7' }));
    else if (req.url === '/garbage') res.end('<html>not an ip</html>');
    // '/hang' never answers
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
beforeEach(() => resetDeviceInfoCache());

describe('machine fingerprint', () => {
  it('is 64 lowercase hex and the same on every call', async () => {
    const a = await machineFingerprint();
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await machineFingerprint()).toBe(a);
    expect(hashInputs(await fingerprintInputs())).toBe(a);
  });

  it('does not depend on MAC, IP or hostname (inputs are machine id, platform, arch, CPU model)', async () => {
    const inputs = await fingerprintInputs();
    expect(Object.keys(inputs).sort()).toEqual(['arch', 'cpu_model', 'install_id', 'machine_id', 'platform']);
  });

  it('without a machine id (container without /etc/machine-id) uses a persisted install id, stable across runs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'outpost-id-'));
    dirs.push(dir);
    const id = installId(dir);
    expect(installId(dir)).toBe(id);
    expect(statSync(join(dir, 'install-id')).mode & 0o777).toBe(0o600);
    const inputs = { machine_id: null, install_id: id, platform: 'linux', arch: 'x64', cpu_model: 'cpu' };
    const fp = hashInputs(inputs);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    expect(hashInputs({ ...inputs })).toBe(fp);
    expect(
      hashInputs({ ...inputs, install_id: installId(mkdtempSync(join(tmpdir(), 'outpost-id2-'))) }),
    ).not.toBe(fp);
    expect(readFileSync(join(dir, 'install-id'), 'utf8').trim()).toBe(id);
  });
});

describe('device info', () => {
  it('collects what it can, with only known fields, and the note / cluster ip given', async () => {
    const info = await collectDeviceInfo({ note: 'Front desk', clusterIp: '10.9.0.1' });
    expect(info.note).toBe('Front desk');
    expect(info.cluster_ip).toBe('10.9.0.1');
    for (const k of Object.keys(info)) {
      expect(['ip_address', 'ip_lan', 'ip_public', 'mac', 'note', 'cluster_ip']).toContain(k);
    }
    if (info.ip_lan) expect(isPrivateAddress(info.ip_lan)).toBe(true);
    if (info.mac) expect(info.mac).toMatch(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
    expect(info.ip_public).toBeUndefined();
  });

  it.each([
    ['plain text', '/ip', '203.0.113.42'],
    ['JSON {ip}', '/json', '198.51.100.7'],
  ])('reads the public IP from a configured URL answering %s', async (_n, path, ip) => {
    const info = await collectDeviceInfo({ publicIpUrl: base + path, waitPublicIp: true });
    expect(info.ip_public).toBe(ip);
  });

  it.each([
    ['an answer that is not an IP', '/garbage'],
    ['a server that never answers (timeout)', '/hang'],
    ['a closed port', 'http://127.0.0.1:9/ip'],
  ])('leaves ip_public out for %s', async (_n, path) => {
    const url = path.startsWith('http') ? path : base + path;
    const info = await collectDeviceInfo({ publicIpUrl: url, waitPublicIp: true, publicIpTimeoutMs: 300 });
    expect(info.ip_public).toBeUndefined();
  });

  it('a heartbeat-style call does not wait for a pending public IP lookup', async () => {
    const info = await collectDeviceInfo({ publicIpUrl: `${base}/hang`, publicIpTimeoutMs: 5000 });
    expect(info.ip_public).toBeUndefined();
  });

  it.each([
    ['10.0.0.5', true],
    ['172.16.1.1', true],
    ['172.32.0.1', false],
    ['192.168.1.100', true],
    ['203.0.113.42', false],
    ['fd00::2', true],
    ['fe80::1', false],
    ['not-an-ip', false],
  ])('isPrivateAddress(%s) = %s', (ip, expected) => {
    expect(isPrivateAddress(ip)).toBe(expected);
  });
});
