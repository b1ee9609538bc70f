/**
 * The README's screenshots of the console (docs/console-*.png), taken from a running demo:
 *
 *   npm run demo -- --port 18931          # in one terminal; wait a minute for devices and alerts
 *   npx tsx scripts/console-screenshots.ts http://127.0.0.1:18931
 *
 * Debian's chromium (scripts/test-tools.sh), 1200×640, as a reader's window shows them.
 */
import { join } from 'node:path';
import { launchChromium } from '../test/support/browser.js';

const url = process.argv[2] ?? 'http://127.0.0.1:8080';
const docs = join(import.meta.dirname, '..', 'docs');
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 640 } });
  await page.goto(`${url}/#/devices`);
  await page.locator('#devices tbody tr').nth(12).waitFor();
  // A few seconds of the live stream, so that rows have moved and flashed.
  await page.waitForTimeout(5000);
  await page.screenshot({ path: join(docs, 'console-devices.png') });

  await page.goto(`${url}/#/engine`);
  await page.locator('#engine-instances tbody tr').first().waitFor();
  await page.waitForTimeout(3000);
  await page.screenshot({ path: join(docs, 'console-engine.png') });

  await page.goto(`${url}/#/sql`);
  await page
    .locator('#sql-text')
    .fill(
      'SELECT ROWKEY, PROBE_COUNT, LAST_PROBE, SSIDS_PROBED FROM PCAP_STATS_01\n  WHERE PROBE_COUNT > 5 LIMIT 8;',
    );
  await page.locator('#sql-run').click();
  await page.locator('#sql-status', { hasText: /row/ }).waitFor();
  await page.screenshot({ path: join(docs, 'console-sql.png') });
} finally {
  await browser.close();
}
