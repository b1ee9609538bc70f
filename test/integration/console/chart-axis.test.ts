import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../support/browser.js';

const CONSOLE_DIR = join(import.meta.dirname, '..', '..', '..', 'console');
const ORIGIN = 'http://console.test';
// 24 hourly bars from 14:00 UTC, the last one full, as the device page draws a device's last day.
const PAGE = `<!doctype html><body><script type="module">
import { barChart } from '/chart.js';
const counts = Array.from({ length: 24 }, (_, i) => (i === 23 ? 71 : 0));
document.body.append(barChart({ start: Date.UTC(2026, 11, 5, 14), width: 3600000, counts }, 'hourly'));
</script></body>`;

describe("the console's bar chart, in chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('keeps every axis label inside the picture, the last one included', async () => {
    const page = await browser.newPage({ locale: 'en-US', timezoneId: 'UTC' });
    // The chart's own module, from the folder the API serves the console from.
    await page.route(`${ORIGIN}/**`, async (route) => {
      const path = new URL(route.request().url()).pathname;
      if (path === '/') await route.fulfill({ contentType: 'text/html', body: PAGE });
      else {
        const body = await readFile(join(CONSOLE_DIR, path));
        await route.fulfill({ contentType: 'text/javascript', body });
      }
    });
    await page.goto(`${ORIGIN}/`);
    const picture = await page.locator('svg').boundingBox();
    const labels = page.locator('svg text.axis');
    // The first two are the y axis (max and 0); the time labels follow.
    expect((await labels.allTextContents()).slice(2)).toEqual(['02:00:00 PM', '02:00:00 AM', '01:00:00 PM']);
    expect(picture).not.toBeNull();
    for (let i = 2; i < 5; i += 1) {
      const box = await labels.nth(i).boundingBox();
      expect(box, `label ${i}`).not.toBeNull();
      expect(box?.x ?? -1, `label ${i}`).toBeGreaterThanOrEqual(picture?.x ?? 0);
      expect((box?.x ?? 0) + (box?.width ?? 0), `label ${i}`).toBeLessThanOrEqual(
        (picture?.x ?? 0) + (picture?.width ?? 0),
      );
    }
    await page.close();
  });
});
