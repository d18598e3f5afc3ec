/**
 * Failed copies in words: the agent stores the server's per-op answer as "CODE: message" (or a bare code), and
 * the client as an id. The operator reads what it means and which client it was.
 */
import type { QueueItem, Quota } from '../api/types.js';

const WORDS: Record<string, string> = {
  QUOTA_EXCEEDED: 'no copies left for this client on the server',
  CLIENT_NOT_FOUND: 'this client does not exist on the server (any more)',
  VALIDATION_ERROR: 'the server found the copy record invalid',
  FAILED: 'the server refused it without giving a reason',
};

export function reasonInWords(error: string | null): string {
  if (!error) return 'the server refused it without giving a reason';
  const m = /^([A-Z][A-Z0-9_]+)(?::\s*([\s\S]*))?$/.exec(error.trim());
  if (!m) return error;
  const code = m[1]!;
  return WORDS[code] ?? (m[2] || code.toLowerCase().replace(/_/g, ' '));
}

export function clientName(clientId: number | null, quotas: readonly Quota[]): string {
  if (clientId === null) return 'no client';
  const name = quotas.find((q) => q.client_id === clientId)?.name;
  return name ?? `client #${clientId}`;
}

/** "Acme: no copies left for this client on the server (3 copies)", one line per client and reason. */
export function failureSummary(failed: readonly QueueItem[], quotas: readonly Quota[]): string[] {
  const groups = new Map<string, number>();
  for (const item of failed) {
    const line = `${clientName(item.client_id, quotas)}: ${reasonInWords(item.error)}`;
    groups.set(line, (groups.get(line) ?? 0) + 1);
  }
  return [...groups].map(([line, n]) => `${line} (${n} ${n === 1 ? 'copy' : 'copies'})`);
}
