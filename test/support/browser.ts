import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

/** Debian's chromium, which scripts/test-tools.sh installs (`apt-get install chromium`). */
export const CHROMIUM = process.env.PROBESTREAM_CHROMIUM ?? '/usr/bin/chromium';

/** Where tests leave what a person may want to look at (screenshots); gitignored. */
export const TEST_OUTPUT_DIR = join(import.meta.dirname, '..', '..', 'test-output');

/**
 * Headless Chromium, never a downloaded one. The flags keep it from reaching for Google's services, which a
 * closed network refuses (it would stall on them); Playwright gives it a fresh, empty profile each launch.
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no Chromium at ${CHROMIUM}: run scripts/test-tools.sh (Debian: apt-get install chromium)`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The path of a screenshot under TEST_OUTPUT_DIR, the folder made when missing. */
export async function screenshotPath(name: string): Promise<string> {
  await mkdir(TEST_OUTPUT_DIR, { recursive: true });
  return join(TEST_OUTPUT_DIR, name);
}

/** What a console page must never do, as openWatchedPage records it. */
export interface PageTrouble {
  readonly dialogs: string[];
  readonly errors: string[];
  /** Requests to anywhere but the page's own origin (and data: URLs). */
  readonly elsewhere: string[];
}

/**
 * A new page (1280×860) that records into `trouble` what must never happen: dialogs (dismissed), script
 * errors, requests elsewhere than `origin`; and, in the page's `window.violations`, every breach of its
 * Content-Security-Policy.
 */
export async function openWatchedPage(browser: Browser, origin: string, trouble: PageTrouble): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.on('dialog', (dialog) => {
    trouble.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => trouble.errors.push(error.message));
  page.on('request', (request) => {
    if (!request.url().startsWith(origin) && !request.url().startsWith('data:'))
      trouble.elsewhere.push(request.url());
  });
  // Page-side code as a string: this project's TypeScript has no DOM types.
  await page.addInitScript({
    content:
      'window.violations = []; document.addEventListener("securitypolicyviolation", ' +
      '(e) => window.violations.push(e.violatedDirective + " " + e.blockedURI));',
  });
  return page;
}
