/**
 * React access to the channel API. Components get the API from context (never from a global), so component tests
 * hand in a fake object and the app hands in window.outpost or the web-bridge client: one code path above both.
 */
import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { AgentEvent, OutpostApi, Result } from './types.js';

const ApiContext = createContext<OutpostApi | null>(null);

export const ApiProvider = ApiContext.Provider;

export function useApi(): OutpostApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi() outside <ApiProvider>');
  return api;
}

export interface UiError {
  code: string;
  message: string;
}

export interface ActionState<T> {
  pending: boolean;
  error: UiError | null;
  value: T | null;
}

/** Turns anything a transport can throw (a dropped bridge, a missing channel) into a Result failure. */
export async function settle<T>(p: () => Promise<Result<T>>): Promise<Result<T>> {
  try {
    const r = await p();
    if (r && typeof r === 'object' && 'ok' in r) return r;
    return {
      ok: false,
      error: { code: 'UNEXPECTED_RESPONSE', message: 'The agent sent an unexpected reply' },
    };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, error: { code: 'TRANSPORT_ERROR', message } };
  }
}

/** A user action: pending flag (for progress), last error, last value. `run` never throws. */
export function useAction<A extends unknown[], T>(
  fn: (...args: A) => Promise<Result<T>>,
): [(...args: A) => Promise<Result<T>>, ActionState<T>, () => void] {
  const [state, setState] = useState<ActionState<T>>({ pending: false, error: null, value: null });
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);
  const run = useCallback(async (...args: A) => {
    setState((s) => ({ ...s, pending: true, error: null }));
    const r = await settle(() => fnRef.current(...args));
    if (mounted.current) {
      setState(
        r.ok
          ? { pending: false, error: null, value: r.value }
          : { pending: false, error: r.error, value: null },
      );
    }
    return r;
  }, []);
  const reset = useCallback(() => setState({ pending: false, error: null, value: null }), []);
  return [run, state, reset];
}

/**
 * Data loaded from the agent and kept fresh: reloads when one of `eventTypes` arrives (no polling needed for
 * those) and, if given, every `intervalMs`.
 */
export function useQuery<T>(
  fn: () => Promise<Result<T>>,
  opts: { eventTypes?: string[]; intervalMs?: number; deps?: unknown[] } = {},
): { data: T | null; error: UiError | null; loading: boolean; reload: () => Promise<void> } {
  const api = useApi();
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<UiError | null>(null);
  const [loading, setLoading] = useState(true);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const alive = useRef(true);
  const reload = useCallback(async () => {
    const r = await settle(() => fnRef.current());
    if (!alive.current) return;
    setLoading(false);
    if (r.ok) {
      setData(r.value);
      setError(null);
    } else {
      setError(r.error);
    }
  }, []);
  const types = (opts.eventTypes ?? []).join(',');
  useEffect(() => {
    alive.current = true;
    void reload();
    const wanted = types ? types.split(',') : [];
    const off = wanted.length
      ? api.onEvent((e) => (wanted.includes(e.type) ? void reload() : undefined))
      : undefined;
    const timer = opts.intervalMs ? setInterval(() => void reload(), opts.intervalMs) : undefined;
    return () => {
      alive.current = false;
      off?.();
      if (timer) clearInterval(timer);
    };
  }, [api, reload, types, opts.intervalMs, ...(opts.deps ?? [])]);
  return { data, error, loading, reload };
}

/** Subscribes to the agent event stream for the component's lifetime. */
export function useAgentEvents(listener: (e: AgentEvent) => void): void {
  const api = useApi();
  const ref = useRef(listener);
  ref.current = listener;
  useEffect(() => api.onEvent((e) => ref.current(e)), [api]);
}
