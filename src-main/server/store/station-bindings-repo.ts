/**
 * Station identity: a sync `device_id` belongs to the user that first logged in (or pushed) with it. Another
 * user presenting that id is refused, so one station account cannot push as, or listen in on, another's
 * station. Admins list bindings and release one (a station re-installed under a new account).
 */
export interface StationBinding {
  device_id: string;
  user_id: number;
  username: string;
  created_at: string;
}

export interface StationBindingsRepo {
  /**
   * Binds `deviceId` to `userId` unless it is bound already, and answers the owner's user id (the existing
   * owner when it was bound). One conditional statement, so two users racing for an unbound id get one owner.
   */
  claim(deviceId: string, userId: number, now: string): Promise<number>;
  /** The owner's user id, or undefined when the id is unbound. */
  ownerOf(deviceId: string): Promise<number | undefined>;
  /** All bindings, by device_id, with the owner's username. */
  list(): Promise<StationBinding[]>;
  /** Removes a binding; false when the id was not bound. */
  release(deviceId: string): Promise<boolean>;
}
