/**
 * Every page in light and dark, 1280 and 390 px wide: a screenshot of each into screenshots/pages/ for a
 * reviewer, and at each size and scheme the checks a screenshot cannot make by itself. At 390 px nothing may be
 * wider than the viewport (no sideways page scroll) and every visible button must be reachable inside it; in
 * dark mode the page background must really be dark (and light in light mode), whether the OS preference or the
 * header's switch chose it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { SCREENSHOT_DIR } from './browser.js';

export const LOOKS_DIR = join(SCREENSHOT_DIR, 'pages');
const WIDTHS = [1280, 390] as const;
const SCHEMES = ['light', 'dark'] as const;

export interface LayoutReport {
  viewport: number;
  scrollWidth: number;
  /** Elements sticking out past the right edge (not inside a scrolling or clipping box). */
  wide: string[];
  /** Visible buttons whose box is not fully inside the viewport horizontally. */
  unreachable: string[];
  /** Table cells with text squeezed narrower than a short word (a table crammed into the width). */
  squeezed: string[];
  /** Relative luminance (0 black … 1 white) of the page background. */
  backgroundLuminance: number;
  theme: string | null;
}

/** Measures the page as the user sees it now (run in the browser). */
export async function measureLayout(page: Page): Promise<LayoutReport> {
  return page.evaluate(() => {
    const vw = window.innerWidth;
    const describe = (el: Element) =>
      `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${
        typeof el.className === 'string' && el.className
          ? `.${el.className.trim().split(/\s+/).join('.')}`
          : ''
      } "${(el.textContent ?? '').trim().slice(0, 40)}"`;
    /** Inside a box that scrolls or clips sideways (its overflow is its own business, not the page's). */
    const clipped = (el: Element): boolean => {
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const o = getComputedStyle(p).overflowX;
        if (o !== 'visible') return true;
      }
      return false;
    };
    const visible = (el: Element): boolean => {
      const r = el.getBoundingClientRect();
      if (r.width <= 1 || r.height <= 1) return false; // visually hidden (sr-only)
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || cs.display === 'none' || r.right <= 0) return false; // skip link: off-screen
      // Inside a visually hidden box (a table's header kept for screen readers, sr-only captions).
      for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
        const pr = p.getBoundingClientRect();
        if (pr.width <= 1 || pr.height <= 1) return false;
      }
      return true;
    };
    const wide: string[] = [];
    const unreachable: string[] = [];
    const squeezed: string[] = [];
    for (const el of document.body.querySelectorAll('*')) {
      if (!visible(el)) continue;
      const r = el.getBoundingClientRect();
      // A button scrolled out of sight inside a sideways-scrolling table counts too: nobody finds it there.
      if (el.tagName === 'BUTTON' && (r.left < -0.5 || r.right > vw + 0.5)) unreachable.push(describe(el));
      if (!clipped(el) && r.right > vw + 0.5) wide.push(`${describe(el)} right=${Math.round(r.right)}`);
      // 80 px is about eight characters: a cell narrower than that breaks "online" or a date letter by letter.
      if ((el.tagName === 'TD' || el.tagName === 'TH') && (el.textContent ?? '').trim() && r.width < 80) {
        squeezed.push(`${describe(el)} width=${Math.round(r.width)}`);
      }
    }
    const bg = getComputedStyle(document.documentElement).backgroundColor;
    const [r = 0, g = 0, b = 0] = (bg.match(/[\d.]+/g) ?? []).map(Number);
    const lin = (c: number) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return {
      viewport: vw,
      scrollWidth: document.scrollingElement?.scrollWidth ?? document.documentElement.scrollWidth,
      wide,
      unreachable,
      squeezed,
      backgroundLuminance: 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b),
      theme: document.documentElement.dataset.theme ?? null,
    };
  });
}

export function expectScheme(report: LayoutReport, scheme: 'light' | 'dark', where: string): void {
  if (scheme === 'dark') {
    expect(report.backgroundLuminance, `${where}: background should be dark`).toBeLessThan(0.05);
  } else {
    expect(report.backgroundLuminance, `${where}: background should be light`).toBeGreaterThan(0.8);
  }
}

export function expectFitsNarrow(report: LayoutReport, where: string): void {
  expect(
    report.scrollWidth,
    `${where}: page scrolls sideways (${report.wide.join('; ')})`,
  ).toBeLessThanOrEqual(report.viewport);
  expect(report.wide, `${where}: elements wider than the viewport`).toEqual([]);
  expect(report.unreachable, `${where}: buttons outside the viewport`).toEqual([]);
  expect(report.squeezed, `${where}: table cells squeezed too narrow to read`).toEqual([]);
}

/**
 * Screenshots `name` in both schemes (the OS preference, emulated) at both widths, checking each, then puts the
 * page back as it was (1280 × 900, no emulated preference).
 */
export async function captureLooks(page: Page, name: string): Promise<void> {
  mkdirSync(LOOKS_DIR, { recursive: true });
  const before = page.viewportSize() ?? { width: 1280, height: 900 };
  try {
    for (const scheme of SCHEMES) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const width of WIDTHS) {
        await page.setViewportSize({ width, height: 900 });
        // Let layout settle after the resize (one frame is enough: the layout is pure CSS).
        await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
        const where = `${name} ${scheme} ${width}px`;
        const report = await measureLayout(page);
        expectScheme(report, scheme, where);
        if (width < 640) expectFitsNarrow(report, where);
        await page.screenshot({ path: join(LOOKS_DIR, `${name}-${scheme}-${width}.png`), fullPage: true });
      }
    }
  } finally {
    await page.emulateMedia({ colorScheme: null });
    await page.setViewportSize(before);
  }
}
