import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { manualDevice } from '../../../src/probes/device-writer.js';
import { deviceSerde } from '../../../src/probes/schemas.js';
import { pcapValueOf } from '../../../src/probes/serdes.js';
import { launchChromium, screenshotPath } from '../../support/browser.js';
import { uniqueName } from '../../support/kafka.js';
import {
  startTestProbeApp,
  type TestProbeApp,
  uniqueProbeTopics,
  waitForGroup,
} from '../../support/probe-app.js';
import { eventually, useStreamsTestContext } from '../../support/streams.js';

const TOKEN = 'console-token-9d2e';
const PHONE = 'a4:83:e7:4e:39:15';
const LAPTOP = 'f0:18:98:00:00:01';
const NEWCOMER = '3c:22:fb:00:00:07';
const HOSTILE = '<img src=x onerror=alert(1)>';
const T0 = 1_587_564_340_123;

describe('the web console in headless Chromium, on an instance holding data on the real broker', () => {
  const context = useStreamsTestContext();
  const topics = uniqueProbeTopics();
  const applicationId = uniqueName('console-app');
  const instances: TestProbeApp[] = [];
  let browser: Browser | undefined;

  afterAll(async () => {
    await browser?.close();
    await Promise.all(instances.map((i) => i.app.close()));
  });

  async function produce(topic: string, messages: { key: string; value: Buffer | string }[]) {
    const producer = context.kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages });
    await producer.disconnect();
  }
  const probe = (mac: string, ssid: string | null, timestamp: number) => ({
    key: mac,
    value: JSON.stringify(pcapValueOf({ mac, ssid, timestamp, signalDbm: -60 })),
  });

  /** A page that records what must never happen: dialogs, script errors, CSP violations, requests elsewhere. */
  async function openPage(url: string) {
    const page = await (browser as Browser).newPage({ viewport: { width: 1280, height: 860 } });
    const trouble = { dialogs: [] as string[], errors: [] as string[], elsewhere: [] as string[] };
    page.on('dialog', (dialog) => {
      trouble.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => trouble.errors.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith(url) && !request.url().startsWith('data:'))
        trouble.elsewhere.push(request.url());
    });
    // Page-side code as a string: this project's TypeScript has no DOM types.
    await page.addInitScript({
      content:
        'window.violations = []; document.addEventListener("securitypolicyviolation", ' +
        '(e) => window.violations.push(e.violatedDirective + " " + e.blockedURI));',
    });
    return { page, trouble };
  }

  const cells = (page: Page, selector: string) => page.locator(selector).locator('td').allTextContents();

  it('shows the devices, a probe and an alert live, SSIDs as text, the engine of both instances', async () => {
    for (let i = 0; i < 2; i++) {
      instances.push(
        await startTestProbeApp(context.kafka, {
          topics,
          applicationId,
          partitions: 2,
          apiToken: TOKEN,
          streams: { numStandbyReplicas: 1 },
        }),
      );
    }
    const [a, b] = instances as [TestProbeApp, TestProbeApp];
    await waitForGroup([a, b]);
    const phone = manualDevice(PHONE, 'Kitchen iPad');
    await produce(topics.devices, [{ key: PHONE, value: deviceSerde().serialize(phone) }]);
    await produce(topics.pcap, [
      probe(PHONE, 'RNM0', T0),
      probe(PHONE, '', T0 + 1000),
      probe(LAPTOP, null, T0 + 500),
    ]);
    await eventually(
      async () =>
        (await (await fetch(`${a.url}/devices`)).json()) as {
          devices?: { mac: string; probeCount: number; deviceName: string | null }[];
        },
      (page) =>
        page.devices?.length === 2 &&
        page.devices.every((d) => d.probeCount === (d.mac === PHONE ? 2 : 1)) &&
        page.devices[0]?.deviceName === 'Kitchen iPad',
    );

    browser = await launchChromium();
    const { page, trouble } = await openPage(a.url);
    await page.goto(a.url);

    // The table: both devices from the stores, named, counted.
    const row = (mac: string) => `#devices tbody tr[data-mac="${mac}"]`;
    await page.locator(row(LAPTOP)).waitFor();
    expect((await cells(page, row(PHONE))).slice(0, 3)).toEqual([PHONE, 'Kitchen iPad', '2']);
    expect((await cells(page, row(PHONE)))[4]).toBe('(wildcard)RNM0');
    expect((await cells(page, row(LAPTOP))).slice(0, 3)).toEqual([LAPTOP, '—', '1']);
    expect((await cells(page, row(LAPTOP)))[4]).toBe('(no SSID element)');

    // A probe produced now appears without a reload, its SSID shown as the characters it is.
    await page.locator('#live.live').waitFor();
    await produce(topics.pcap, [probe(NEWCOMER, HOSTILE, Date.now())]);
    await page.locator(row(NEWCOMER)).waitFor({ timeout: 15_000 });
    expect((await cells(page, row(NEWCOMER))).slice(0, 3)).toEqual([NEWCOMER, '—', '1']);
    expect(await page.locator(row(NEWCOMER)).locator('.ssid').textContent()).toBe(HOSTILE);
    expect(await page.locator('main img').count()).toBe(0);

    // Sorted by count (most first, then fewest first), and filtered by name and by SSID.
    await page.locator('button[data-sort="probeCount"]').click();
    expect(await page.locator('#devices tbody tr').first().getAttribute('data-mac')).toBe(PHONE);
    await page.locator('button[data-sort="probeCount"]').click();
    expect(await page.locator('#devices tbody tr').last().getAttribute('data-mac')).toBe(PHONE);
    await page.locator('#device-filter').fill('kitchen');
    expect(
      await page
        .locator('#devices tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-mac'))),
    ).toEqual([PHONE]);
    await page.locator('#device-filter').fill('onerror');
    expect(
      await page
        .locator('#devices tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-mac'))),
    ).toEqual([NEWCOMER]);
    await page.locator('#device-filter').fill('');
    await page.locator('button[data-sort="lastProbe"]').click();
    await page.screenshot({ path: await screenshotPath('console-devices.png') });

    // The watch list: a write without the token asks for it, then goes through.
    await page.locator('nav a[data-page="alerts"]').click();
    await page.locator('#watch-ssid').fill(HOSTILE);
    await page.locator('#watch-reason').fill('a <b>hostile</b> network');
    await page.locator('#watch-form button[type="submit"]').click();
    await page.locator('#api-token').fill(TOKEN);
    await page.locator('#api-token').press('Enter');
    await page.locator('#watch-form button[type="submit"]').click();
    await page.locator('#watch-list tbody tr').first().waitFor();
    expect((await cells(page, '#watch-list tbody tr')).slice(0, 2)).toEqual([
      HOSTILE,
      'a <b>hostile</b> network',
    ]);

    // An alert appears in the feed as it happens.
    await produce(topics.pcap, [probe(PHONE, HOSTILE, Date.now())]);
    await page.locator('#alert-feed tbody tr').first().waitFor({ timeout: 15_000 });
    expect((await cells(page, '#alert-feed tbody tr')).slice(1)).toEqual([
      PHONE,
      'Kitchen iPad',
      HOSTILE,
      'a <b>hostile</b> network',
    ]);
    await page.screenshot({ path: await screenshotPath('console-alerts.png') });

    // The device page: figures, SSIDs as text, and the chart of its probes since the page opened.
    await page.locator(`#alert-feed a[href="#/devices/${PHONE}"]`).click();
    await page.locator('#device-count', { hasText: /^3$/ }).waitFor();
    expect(await page.locator('h2').textContent()).toBe(`Kitchen iPad ${PHONE}`);
    expect(await page.locator('#device-ssids li').allTextContents()).toEqual(['(wildcard)', HOSTILE, 'RNM0']);
    const bars = await page
      .locator('.chart rect.bar')
      .evaluateAll((rects) => rects.map((r) => Number(r.getAttribute('height'))));
    expect(bars.filter((height) => height > 0)).toHaveLength(1);
    await page.screenshot({ path: await screenshotPath('console-device.png') });

    // The engine, gathered from both instances.
    await page.locator('nav a[data-page="engine"]').click();
    await page.locator('#engine-instances tbody tr').nth(1).waitFor();
    expect(await page.locator('#engine-instances tbody tr').count()).toBe(2);
    const engine = (await (await fetch(`${a.url}/engine`)).json()) as {
      instances: { host: string; activeTasks: string[]; standbyTasks: string[] }[];
    };
    expect(engine.instances.map((i) => i.host).sort()).toEqual([a.self, b.self].sort());
    for (const instance of engine.instances) {
      const shown = await cells(page, `#engine-instances tr[data-host="${instance.host}"]`);
      expect(shown[0]).toBe(instance.host === a.self ? `${a.self}this one` : b.self);
      expect(shown[1]).toBe('RUNNING');
      expect(shown[2]).toBe(instance.activeTasks.join(' '));
      expect(shown[3]).toBe(instance.standbyTasks.join(' ') || '—');
    }
    // Four sub-topologies of two partitions: each task active on exactly one of the two instances.
    const active = engine.instances.flatMap((i) => i.activeTasks);
    expect(active).toHaveLength(8);
    expect(new Set(active).size).toBe(8);
    await page.screenshot({ path: await screenshotPath('console-engine.png') });

    // Swagger UI, from the package's own files.
    await page.goto(`${a.url}/docs`);
    await page.getByText('/devices/{mac}/stats').first().waitFor();

    expect(await page.evaluate('window.violations')).toEqual([]);
    expect(trouble).toEqual({ dialogs: [], errors: [], elsewhere: [] });
  }, 240_000);
});
