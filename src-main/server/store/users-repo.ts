import type { Role } from '../../../src-shared/api/auth.js';

export type { Role };

export interface UserRecord {
  id: number;
  username: string;
  name: string | null;
  email: string | null;
  role: Role;
  password_hash: string;
  /** A disabled user cannot log in, and tokens already issued to it are refused. */
  disabled: boolean;
  created_at: string;
  updated_at: string;
}

export interface NewUser {
  username: string;
  password_hash: string;
  role: Role;
  name?: string | null;
  email?: string | null;
}

export interface UserChange {
  role?: Role;
  disabled?: boolean;
  password_hash?: string;
}

export interface UsersRepo {
  count(): Promise<number>;
  findByUsername(username: string): Promise<UserRecord | undefined>;
  findById(id: number): Promise<UserRecord | undefined>;
  /** Throws a CONFLICT AppError when the username is taken. */
  create(user: NewUser): Promise<UserRecord>;
  list(): Promise<UserRecord[]>;
  /** Enables or disables a user; the updated record, or undefined when there is no such user. */
  setDisabled(id: number, disabled: boolean): Promise<UserRecord | undefined>;
  /** Changes any of role, disabled and password hash; the updated record, or undefined when there is none. */
  update(id: number, change: UserChange): Promise<UserRecord | undefined>;
  /** Deletes a user (and its station bindings); false when there was no such user. */
  remove(id: number): Promise<boolean>;
}
