/** A profile's API token lives in the secret store under `profile_token:<name>`, never in settings.json. */
import { SECRET_ACCOUNTS, type SecretStore } from '../secrets/secret-store.js';

export async function getProfileToken(secrets: SecretStore, profile: string): Promise<string | null> {
  return secrets.get(SECRET_ACCOUNTS.profileToken(profile));
}

export async function setProfileToken(
  secrets: SecretStore,
  profile: string,
  token: string | null,
): Promise<void> {
  if (token === null || token === '') await secrets.delete(SECRET_ACCOUNTS.profileToken(profile));
  else await secrets.set(SECRET_ACCOUNTS.profileToken(profile), token);
}
