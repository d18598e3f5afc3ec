/**
 * Small display helpers shared by the pages (dates, durations, error hints).
 *
 * Every time on screen goes through formatTime / formatClock: one time zone (the machine's local zone), one
 * layout, whatever the source sent (ISO with any offset, epoch ms). Mixing the server's UTC strings with local
 * clock times made a log line and the event beside it look an hour apart.
 */

type TimeInput = string | number | Date | null | undefined;

const DATE_TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});
const CLOCK = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23',
});

function toDate(value: TimeInput): Date | null {
  if (value === null || value === undefined || value === '') return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Date and time in the local zone ("2 Dec 2026, 13:45:07"); "never" for no value. */
export function formatTime(value: TimeInput): string {
  if (value === null || value === undefined || value === '') return 'never';
  const d = toDate(value);
  return d ? DATE_TIME.format(d) : String(value);
}

/** Time of day in the local zone ("13:45:07"), with the date in front when it is not today's. */
export function formatClock(value: TimeInput, now: number = Date.now()): string {
  const d = toDate(value);
  if (!d) return value === null || value === undefined ? '' : String(value);
  const today = new Date(now);
  const sameDay =
    d.getFullYear() === today.getFullYear() &&
    d.getMonth() === today.getMonth() &&
    d.getDate() === today.getDate();
  return sameDay ? CLOCK.format(d) : DATE_TIME.format(d);
}

/** The zone every time is shown in, for a label ("Europe/Berlin, UTC+01:00"). */
export function localZoneLabel(at: number = Date.now()): string {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const offset = -new Date(at).getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const abs = Math.abs(offset);
  const hhmm = `${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${zone}, UTC${sign}${hhmm}`;
}

/** ISO form for a `<time dateTime>` attribute, or undefined when the value is not a time. */
export function machineTime(value: TimeInput): string | undefined {
  return toDate(value)?.toISOString();
}

/** "3 d 4 h", "12 min 5 s": a countdown readable at a glance. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0 s';
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${sec} s`;
  return `${sec} s`;
}

/** What the operator can do about an error code (the message says what happened). */
const HINTS: Record<string, string> = {
  NETWORK_ERROR: 'Check the server URL in Settings and the network connection, then try again.',
  TRANSPORT_ERROR: 'The connection to the agent dropped. Reload the page; if it persists, restart Outpost.',
  TOKEN_INVALID:
    'Check each character against the token you were given and try again; only if it is typed right, ask your administrator for a new one.',
  WRONG_SERVER_URL:
    'Open Settings and correct the profile’s server URL (for example http://host:8787, without a path).',
  INVALID_TOKEN: 'Ask your administrator for a new token, or log in again.',
  INVALID_TOKEN_FORMAT: 'A registration token is exactly 6 hexadecimal characters (0-9, A-F).',
  INVALID_DEVICE_KEY: 'Check the device key; use the one your administrator issued.',
  ALREADY_REGISTERED: 'Unregister first, or ask your administrator for a new token.',
  DEVICE_NOT_FOUND: 'Ask your administrator to create this device on the server.',
  DEVICE_REVOKED: 'This device was revoked: ask your administrator for a new token and register again.',
  REREGISTRATION_NEEDED: 'Ask your administrator for a new token and register again.',
  NOT_REGISTERED: 'Register this device first.',
  INVALID_CREDENTIALS: 'Check the username and password.',
  AUTH_FAILED: 'Log in again.',
  QUOTA_EXCEEDED: 'Ask your administrator to top up this client’s quota.',
  STORAGE_FULL: 'Free disk space on this station, then record the copy again.',
  LICENSE_IN_USE: 'Deactivate the license on another machine first.',
  LICENSE_EXPIRED: 'Renew the license or activate a new key.',
  LICENSE_REVOKED: 'Contact your vendor for a new license key.',
  NOT_FOUND: 'Check the value you entered; it does not exist on the server.',
  VALIDATION_ERROR: 'Correct the highlighted values and try again.',
  RATE_LIMIT_EXCEEDED: 'Wait a minute, then try again.',
  RATE_LIMITED: 'Wait a minute, then try again.',
  SECRET_STORE_UNAVAILABLE:
    'The OS keyring is locked or missing: unlock it, or enable the encrypted file store.',
  SERVICE_UNAVAILABLE: 'The server is not ready; try again in a moment.',
  INTERNAL_ERROR: 'The server failed; try again, and check the server logs if it keeps happening.',
  NOT_AVAILABLE: 'This feature is not available in this build.',
  UNEXPECTED_RESPONSE: 'The server answered in an unexpected way; check the server URL in Settings.',
};

export function errorHint(code: string): string {
  return HINTS[code] ?? 'Try again; if it keeps failing, see Settings → Logs for details.';
}
