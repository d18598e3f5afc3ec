/**
 * Bulk enrollment: many pending devices created in one transaction, remembered as a batch so the tokens the
 * batch issued can be revoked together later. Only token hashes are stored, as for single devices.
 */

export interface BulkDevice {
  device_key: string;
  /** `tokenHash(device_key, token)`: what registration compares against. */
  token_hash: string;
}

export interface NewBatch {
  batch_id: string;
  /** ISO time; every device's created_at. */
  created_at: string;
  /** ISO time the batch's tokens stop working (chosen per batch). */
  token_expires_at: string;
  /** Who asked (user name or API key name), for the batch record; the audit trail has the rest. */
  created_by: string;
  /** The group the operator asked for, kept with the batch. */
  group_id: number | null;
  devices: BulkDevice[];
}

/** All or nothing: either every device was created, or none was and `taken` lists the keys that exist. */
export type CreateBatchResult = { created: true } | { created: false; taken: string[] };

export interface BatchRevokeResult {
  /** Devices in the batch. */
  devices: number;
  /** Tokens of the batch that were still outstanding (unredeemed, expired or not) and are revoked now. */
  revoked: number;
  /** Devices of the batch that registered (untouched). */
  registered: number;
}

export interface DevicesBulkRepo {
  /**
   * The highest number n among existing keys `<prefix><n>` (n all digits, at most 15 of them), 0 when there are
   * none, so generated keys can start above it and never collide with what exists.
   */
  highestSuffix(prefix: string): Promise<number>;
  /** Creates the batch and all its devices (pending, with their token) in one transaction, or nothing. */
  createBatch(batch: NewBatch): Promise<CreateBatchResult>;
  /**
   * Drops every token the batch issued that is still the device's live token, in one conditional statement
   * (a token replaced since by a single-device token is not the batch's any more and stays). Undefined when the
   * batch does not exist.
   */
  revokeUnused(batchId: string, now: string): Promise<BatchRevokeResult | undefined>;
}
