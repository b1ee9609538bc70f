import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';

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
