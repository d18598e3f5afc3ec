// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { createRendererApi, pickTransport } from '../../src-renderer/api/transport.js';

describe('transport choice', () => {
  it('uses window.outpost (Electron preload) when present, through the same validating client', async () => {
    const calls: unknown[] = [];
    const outpost = {
      invoke: async (channel: string, payload: unknown) => {
        calls.push([channel, payload]);
        return { ok: true, value: { device_key: 'own-key-1' } };
      },
      subscribe: () => () => undefined,
    };
    const { api, kind } = createRendererApi({ outpost });
    expect(kind).toBe('ipc');
    expect(await api.device.ownKey()).toEqual({ ok: true, value: { device_key: 'own-key-1' } });
    expect(calls).toEqual([['device.ownKey', {}]]);
  });

  it('turns a malformed preload answer into a Result failure, not a wrong-typed value', async () => {
    const outpost = {
      invoke: async () => ({ ok: true, value: { device_key: 42 } }),
      subscribe: () => () => undefined,
    };
    const r = await createRendererApi({ outpost }).api.device.ownKey();
    expect(r.ok).toBe(false);
  });

  it('falls back to the web bridge when there is no preload (or a half-built one without subscribe)', () => {
    expect(pickTransport({}).kind).toBe('web');
    const half = { invoke: async () => null } as unknown as Window['outpost'];
    expect(pickTransport({ outpost: half }).kind).toBe('web');
  });
});
