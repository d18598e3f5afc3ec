/**
 * Light / dark: follows the OS (`prefers-color-scheme`) unless the operator picks one. The choice lives in
 * localStorage and, for the headless web UI, in a cookie too: the bridge listens on a new port per launch, and
 * localStorage is per origin (port included) while cookies are per host, so only the cookie outlives a restart.
 * The stylesheet does the rest from `<html data-theme>`.
 */
export type ThemeChoice = 'system' | 'light' | 'dark';

export const THEME_CHOICES: readonly ThemeChoice[] = ['system', 'light', 'dark'];
const KEY = 'outpost-theme';
const YEAR_S = 365 * 24 * 3600;

function isChoice(v: unknown): v is ThemeChoice {
  return typeof v === 'string' && (THEME_CHOICES as readonly string[]).includes(v);
}

function fromCookie(): string | null {
  try {
    const m = new RegExp(`(?:^|;\\s*)${KEY}=([a-z]+)`).exec(document.cookie);
    return m?.[1] ?? null;
  } catch {
    return null; // a sandboxed or file:// document may refuse cookies
  }
}

export function readTheme(): ThemeChoice {
  let stored: string | null = null;
  try {
    stored = localStorage.getItem(KEY);
  } catch {
    // storage disabled: fall through to the cookie
  }
  const v = stored ?? fromCookie();
  return isChoice(v) ? v : 'system';
}

export function saveTheme(choice: ThemeChoice): void {
  try {
    localStorage.setItem(KEY, choice);
  } catch {
    // storage disabled: the cookie below still carries it
  }
  try {
    document.cookie = `${KEY}=${choice}; Path=/; Max-Age=${YEAR_S}; SameSite=Strict`;
  } catch {
    // no cookies here (file://, sandbox): localStorage alone
  }
}

/** Sets `<html data-theme>`; "system" removes it so the media query decides. */
export function applyTheme(choice: ThemeChoice, root: HTMLElement = document.documentElement): void {
  if (choice === 'system') delete root.dataset.theme;
  else root.dataset.theme = choice;
}

/** What the page shows right now (the choice, or the OS preference under "system"). */
export function effectiveTheme(choice: ThemeChoice): 'light' | 'dark' {
  if (choice !== 'system') return choice;
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches
    ? 'dark'
    : 'light';
}
