/** Seed 001 clients (who copies are billed to) and their remaining copy quota. */
export interface ClientRecord {
  id: number;
  name: string;
  /** Copies still allowed; never below 0 (CHECK constraint and conditional updates). */
  remaining: number;
  /** Copies applied so far. */
  used: number;
  created_at: string;
  updated_at: string;
}

export interface ClientsRepo {
  /** Throws a CONFLICT AppError when the name is taken. */
  create(name: string, quota: number): Promise<ClientRecord>;
  list(): Promise<ClientRecord[]>;
  get(id: number): Promise<ClientRecord | undefined>;
  /** Sets remaining; undefined when the client does not exist. */
  setRemaining(id: number, remaining: number): Promise<ClientRecord | undefined>;
  /**
   * Adds `delta` (may be negative) to remaining in one conditional UPDATE. `belowZero` when the change would take
   * remaining under 0 (nothing changed then); undefined client when it does not exist.
   */
  addRemaining(id: number, delta: number): Promise<{ client?: ClientRecord; belowZero: boolean }>;
  /** Renames; undefined when the client does not exist. Throws a CONFLICT AppError when the name is taken. */
  rename(id: number, name: string): Promise<ClientRecord | undefined>;
  /**
   * Deletes a client nothing was billed to yet (one conditional DELETE): `inUse` with the row when copies were
   * applied to it (their history names it), undefined client when it does not exist.
   */
  remove(id: number): Promise<{ client?: ClientRecord; inUse: boolean }>;
}
