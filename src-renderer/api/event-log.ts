/**
 * The live feed's memory: one buffer per API object, filled from the first time a page asks for it and kept
 * while the operator moves between pages (the feed would otherwise restart empty on every visit).
 */
import { useSyncExternalStore } from 'react';
import { createEventDescriber } from '../lib/event-text.js';
import { useApi } from './context.js';
import type { AgentEvent, OutpostApi } from './types.js';

export interface FeedEntry {
  id: number;
  /** When the event arrived (epoch ms), formatted where it is shown. */
  at: number;
  text: string;
}

interface Log {
  entries: FeedEntry[];
  listeners: Set<() => void>;
  subscribe(cb: () => void): () => void;
}

const MAX = 50;
const logs = new WeakMap<OutpostApi, Log>();
let seq = 0;

function logFor(api: OutpostApi): Log {
  let log = logs.get(api);
  if (log) return log;
  const listeners = new Set<() => void>();
  const created: Log = {
    entries: [],
    listeners,
    subscribe: (cb) => {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
  };
  const describe = createEventDescriber();
  api.onEvent((e: AgentEvent) => {
    const text = describe(e);
    // Status events repeat while nothing changes: keep a line only when it says something new.
    if (text === null || created.entries[0]?.text === text) return;
    created.entries = [{ id: ++seq, at: Date.now(), text }, ...created.entries].slice(0, MAX);
    for (const l of [...created.listeners]) l();
  });
  logs.set(api, created);
  log = created;
  return log;
}

export function useEventLog(): FeedEntry[] {
  const log = logFor(useApi());
  return useSyncExternalStore(log.subscribe, () => log.entries);
}
