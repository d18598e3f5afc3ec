/**
 * Real Chromium for the e2e tests: Debian's /usr/bin/chromium driven by playwright-core, with the flags from
 * ENV.md and a fresh user-data-dir per launch. When chromium is missing the tests may skip (with a printed
 * reason) only outside CI; under CI=true a missing browser is a failure.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.OUTPOST_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Where the browser tests leave their screenshots for a reviewer (git-ignored; OUTPOST_SCREENSHOT_DIR moves it). */
export const SCREENSHOT_DIR = process.env.OUTPOST_SCREENSHOT_DIR ?? join(process.cwd(), 'screenshots');

/** Why the browser tests cannot run here, or null. Under CI the caller must fail instead of skipping. */
export function browserSkipReason(): string | null {
  if (existsSync(CHROMIUM)) return null;
  const reason = `e2e: ${CHROMIUM} not found (apt-get install chromium)`;
  if (process.env.CI) throw new Error(`${reason}: required under CI`);
  console.warn(`${reason}: skipping the browser tests`);
  return reason;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors, for failure messages. */
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'outpost-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
  context.setDefaultTimeout(60_000);
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** Opens a page of the app by its nav link (hash route) and waits for its heading. */
export async function openPage(page: Page, label: string, heading: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Main' })
    .getByRole('link', { name: label, exact: true })
    .click();
  await page.getByRole('heading', { name: heading, level: 2 }).waitFor();
}

/**
 * Waits until `testId`'s text satisfies `pred` (the UI updates itself from agent events; the test never reloads).
 * A wait, not a timed assertion: the bound only turns a hang into a readable failure.
 */
export async function waitForTestId(
  page: Page,
  testId: string,
  pred: (text: string) => boolean,
  what = testId,
): Promise<string> {
  const locator = page.getByTestId(testId);
  const deadline = Date.now() + 120_000;
  let last: string | null = null;
  while (Date.now() < deadline) {
    last = await locator.textContent({ timeout: 5_000 }).catch(() => null);
    if (last !== null && pred(last)) return last;
    await page.waitForTimeout(250);
  }
  throw new Error(`${what}: still "${last ?? '(absent)'}" after waiting`);
}
