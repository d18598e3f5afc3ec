/** One persisted audit event (see audit/audit.ts for who writes it). */
export interface AuditRecord {
  id: number;
  at: string;
  /** Username, API key name, `environment`, or `anonymous` (a failed login). */
  actor: string;
  actor_kind: 'user' | 'api-key' | 'anonymous';
  ip: string | null;
  action: string;
  target: string | null;
  details: Record<string, unknown>;
}

export type NewAuditRecord = Omit<AuditRecord, 'id'>;

export interface AuditFilter {
  /** Exact action, or a prefix when it ends with `.`. */
  action?: string;
  actor?: string;
  /** ISO time (normalised by the caller): events at or after it. */
  since?: string;
}

export interface AuditRepo {
  insert(event: NewAuditRecord): Promise<void>;
  /** Newest first. */
  list(
    filter: AuditFilter,
    page: { limit: number; offset: number },
  ): Promise<{ rows: AuditRecord[]; total: number }>;
  /** Newest first, the events with an id below `beforeId` (all when null): the CSV export walks it by keyset. */
  after(filter: AuditFilter, beforeId: number | null, limit: number): Promise<AuditRecord[]>;
}
