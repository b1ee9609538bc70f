import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualDevice } from '../../../src/probes/device-writer.js';
import { deviceSerde } from '../../../src/probes/schemas.js';
import { launchChromium, openWatchedPage, screenshotPath } from '../../support/browser.js';
import { uniqueName } from '../../support/kafka.js';
import {
  probeMessage,
  produceMessages,
  startTestProbeApp,
  type TestProbeApp,
  uniqueProbeTopics,
} from '../../support/probe-app.js';
import { eventually, useStreamsTestContext } from '../../support/streams.js';

const TOKEN = 'console-sql-token-41c7';
const PHONE = 'a4:83:e7:4e:39:15';
const LAPTOP = 'f0:18:98:00:00:01';
const HOSTILE = '<img src=x onerror=alert(1)>';
const T0 = 1_587_564_340_123;

describe("the console's SQL box in headless Chromium, on an instance holding data on the real broker", () => {
  const context = useStreamsTestContext();
  const topics = uniqueProbeTopics();
  let instance: TestProbeApp;
  let browser: Browser | undefined;
  let page: Page;
  const trouble = { dialogs: [] as string[], errors: [] as string[], elsewhere: [] as string[] };

  const produce = (topic: string, messages: { key: string; value: Buffer | string }[]) =>
    produceMessages(context.kafka, topic, messages);
  const probe = probeMessage;

  /** Types a statement into the box and runs it. */
  async function run(statement: string): Promise<void> {
    await page.locator('#sql-text').fill(statement);
    await page.locator('#sql-run').click();
  }
  const headings = () => page.locator('#sql-rows thead th').allTextContents();
  /** The text of each cell of each row `selector` finds. */
  const cellsOf = (selector: string) =>
    page
      .locator(selector)
      .evaluateAll((trs) =>
        trs.map((tr) => Array.from(tr.children, (td) => (td as { textContent: string | null }).textContent)),
      );
  const rows = () => cellsOf('#sql-rows tbody tr');

  beforeAll(async () => {
    instance = await startTestProbeApp(context.kafka, {
      topics,
      applicationId: uniqueName('console-sql-app'),
      partitions: 2,
      apiToken: TOKEN,
    });
    const phone = manualDevice(PHONE, 'Kitchen iPad');
    await produce(topics.devices, [{ key: PHONE, value: deviceSerde().serialize(phone) }]);
    await produce(topics.pcap, [
      probe(PHONE, 'RNM0', T0),
      probe(PHONE, '', T0 + 1000),
      probe(LAPTOP, null, T0 + 500),
    ]);
    await eventually(
      async () =>
        (await (await fetch(`${instance.url}/devices`)).json()) as { devices?: { probeCount: number }[] },
      (answer) => answer.devices?.reduce((sum, d) => sum + d.probeCount, 0) === 3,
    );
    browser = await launchChromium();
    page = await openWatchedPage(browser, instance.url, trouble);
    await page.goto(`${instance.url}/#/sql`);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await instance?.app.close();
  });

  it('shows a pull query by key as the exact row, its columns named from the header', async () => {
    await run(
      `SELECT ROWKEY, PROBE_COUNT, FIRST_PROBE, SSIDS_PROBED FROM PCAP_STATS_01 WHERE ROWKEY = '${PHONE}';`,
    );
    await page.locator('#sql-status', { hasText: /^1 row$/ }).waitFor();
    expect(await headings()).toEqual(['ROWKEY', 'PROBE_COUNT', 'FIRST_PROBE', 'SSIDS_PROBED']);
    const [row] = await rows();
    expect(row?.slice(0, 2)).toEqual([PHONE, '2']);
    expect(row?.[3]).toBe('["","RNM0"]');
    // The same first probe the REST route gives, in the instance's time zone.
    const response = await fetch(`${instance.url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ksql: `SELECT FIRST_PROBE FROM PCAP_STATS_01 WHERE ROWKEY = '${PHONE}';` }),
    });
    const stats = (await response.json()) as [unknown, { row: { columns: string[] } }];
    expect(row?.[2]).toBe(stats[1].row.columns[0]);
  });

  it('streams a push query row by row as probes come, its SSID as text, until Stop ends the request', async () => {
    await run('SELECT WLAN_SA[1] AS MAC, WLAN_SSID[1] AS SSID FROM PCAP_PROBE EMIT CHANGES;');
    // The header came: the query follows the topic from its end, so the probe below is after its start.
    await page.locator('#sql-status', { hasText: 'Waiting for rows' }).waitFor();
    expect(await headings()).toEqual(['MAC', 'SSID']);
    expect(instance.app.sql?.pushQueries).toBe(1);
    await produce(topics.pcap, [probe(LAPTOP, HOSTILE, Date.now())]);
    await page.locator('#sql-rows tbody tr').waitFor({ timeout: 15_000 });
    expect(await rows()).toEqual([[LAPTOP, HOSTILE]]);
    expect(await page.locator('main img').count()).toBe(0);
    await page.screenshot({ path: await screenshotPath('console-sql.png') });

    await page.locator('#sql-stop').click();
    await page.locator('#sql-status', { hasText: 'Stopped after 1 row.' }).waitFor();
    // The server saw the request closed, and ended the query.
    await eventually(
      async () => instance.app.sql?.pushQueries,
      (running) => running === 0,
    );
    expect(await page.locator('#sql-stop').isDisabled()).toBe(true);
  });

  it("shows a parse error with ksqlDB's message, and points at where it is", async () => {
    await run('SELECT ROWKEY FROM PCAP_STATS_01\nWHERE ROWKEY = = 1;');
    const message = await page.locator('#sql-error .notice').textContent();
    expect(message).toMatch(/^line 2:\d+: /);
    const column = Number(/^line 2:(\d+)/.exec(message ?? '')?.[1]);
    expect(await page.locator('#sql-pointer').textContent()).toBe(
      `WHERE ROWKEY = = 1;\n${' '.repeat(column)}^`,
    );
    expect(await rows()).toEqual([]);
  });

  it('shows SHOW TABLES and DESCRIBE as tables', async () => {
    await run('SHOW TABLES; DESCRIBE SSID_ALERT_LIST;');
    await page.locator('#sql-result h3').nth(1).waitFor();
    const names = await page.locator('#sql-result table').first().locator('tbody tr td:first-child');
    expect(await names.allTextContents()).toEqual(
      expect.arrayContaining(['PCAP_STATS_01', 'DEVICES', 'SSID_ALERT_LIST']),
    );
    const fields = await cellsOf('#sql-result table:nth-of-type(2) tbody tr');
    expect(fields).toEqual([
      ['ROWKEY', 'STRING', 'KEY'],
      ['REASON', 'STRING', ''],
    ]);
  });

  it('asks for the token when an INSERT needs it, then writes it', async () => {
    await page.locator('button.example', { hasText: 'INSERT INTO SSID_ALERT_LIST' }).click();
    await page.locator('#sql-run').click();
    await page.locator('#api-token').fill(TOKEN);
    await page.locator('#api-token').press('Enter');
    await page.locator('#sql-status', { hasText: 'Done.' }).waitFor();
    await eventually(
      async () => (await fetch(`${instance.url}/ssid-alerts`)).json(),
      (list) =>
        JSON.stringify(list) === JSON.stringify({ alerts: [{ ssid: 'RNM0', reason: 'home network' }] }),
    );
  });

  it('ran no script from a string and broke no rule of the page policy', async () => {
    expect(await page.evaluate('window.violations')).toEqual([]);
    expect(trouble).toEqual({ dialogs: [], errors: [], elsewhere: [] });
  });
});
