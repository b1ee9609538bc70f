import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manualDevice } from '../../../src/probes/device-writer.js';
import { deviceSerde } from '../../../src/probes/schemas.js';
import { buildProbeTopology } from '../../../src/probes/topology.js';
import { launchChromium, openWatchedPage, screenshotPath } from '../../support/browser.js';
import { uniqueName } from '../../support/kafka.js';
import {
  probeMessage,
  produceMessages,
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
  // Set by beforeAll: the steps below are one visit, in order, on one page of instance a.
  let a: TestProbeApp;
  let b: TestProbeApp;
  let page: Page;
  const trouble = { dialogs: [] as string[], errors: [] as string[], elsewhere: [] as string[] };

  const produce = (topic: string, messages: { key: string; value: Buffer | string }[]) =>
    produceMessages(context.kafka, topic, messages);
  const probe = probeMessage;

  const openPage = (url: string) => openWatchedPage(browser as Browser, url, trouble);

  beforeAll(async () => {
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
    [a, b] = instances as [TestProbeApp, TestProbeApp];
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
      (answer) =>
        answer.devices?.length === 2 &&
        answer.devices.every((d) => d.probeCount === (d.mac === PHONE ? 2 : 1)) &&
        answer.devices[0]?.deviceName === 'Kitchen iPad',
    );
    browser = await launchChromium();
    page = await openPage(a.url);
    await page.goto(a.url);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(instances.map((i) => i.app.close()));
  });

  const cells = (selector: string) => page.locator(selector).locator('td').allTextContents();
  const row = (mac: string) => `#devices tbody tr[data-mac="${mac}"]`;
  const macsShown = () =>
    page.locator('#devices tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-mac')));

  it('lists the devices the stores hold, named and counted', async () => {
    await page.locator(row(LAPTOP)).waitFor();
    expect((await cells(row(PHONE))).slice(0, 3)).toEqual([PHONE, 'Kitchen iPad', '2']);
    expect((await cells(row(PHONE)))[4]).toBe('(wildcard)RNM0');
    expect((await cells(row(LAPTOP))).slice(0, 3)).toEqual([LAPTOP, '—', '1']);
    expect((await cells(row(LAPTOP)))[4]).toBe('(no SSID element)');
  });

  it('shows a probe produced now without a reload, its SSID as the characters it is', async () => {
    await page.locator('#live.live').waitFor();
    await produce(topics.pcap, [probe(NEWCOMER, HOSTILE, Date.now())]);
    await page.locator(row(NEWCOMER)).waitFor({ timeout: 15_000 });
    expect((await cells(row(NEWCOMER))).slice(0, 3)).toEqual([NEWCOMER, '—', '1']);
    expect(await page.locator(row(NEWCOMER)).locator('.ssid').textContent()).toBe(HOSTILE);
    expect(await page.locator('main img').count()).toBe(0);
  });

  it('sorts by count either way, and filters by name and by SSID', async () => {
    await page.locator('button[data-sort="probeCount"]').click();
    expect(await page.locator('#devices tbody tr').first().getAttribute('data-mac')).toBe(PHONE);
    await page.locator('button[data-sort="probeCount"]').click();
    expect(await page.locator('#devices tbody tr').last().getAttribute('data-mac')).toBe(PHONE);
    await page.locator('#device-filter').fill('kitchen');
    expect(await macsShown()).toEqual([PHONE]);
    await page.locator('#device-filter').fill('onerror');
    expect(await macsShown()).toEqual([NEWCOMER]);
    await page.locator('#device-filter').fill('');
    await page.locator('button[data-sort="lastProbe"]').click();
    expect(await macsShown()).toEqual([NEWCOMER, PHONE, LAPTOP]);
    await page.screenshot({ path: await screenshotPath('console-devices.png') });
  });

  it('asks for the token on the first change to the watch list, then makes it', async () => {
    await page.locator('nav a[data-page="alerts"]').click();
    await page.locator('#watch-ssid').fill(HOSTILE);
    await page.locator('#watch-reason').fill('a <b>hostile</b> network');
    await page.locator('#watch-form button[type="submit"]').click();
    await page.locator('#api-token').fill(TOKEN);
    await page.locator('#api-token').press('Enter');
    await page.locator('#watch-form button[type="submit"]').click();
    await page.locator('#watch-list tbody tr').first().waitFor();
    expect((await cells('#watch-list tbody tr')).slice(0, 2)).toEqual([HOSTILE, 'a <b>hostile</b> network']);
    // Written for real: the API lists it too.
    await eventually(
      async () => (await fetch(`${a.url}/ssid-alerts`)).json(),
      (list) =>
        JSON.stringify(list) ===
        JSON.stringify({ alerts: [{ ssid: HOSTILE, reason: 'a <b>hostile</b> network' }] }),
    );
  });

  it('shows an alert in the feed as it happens', async () => {
    await produce(topics.pcap, [probe(PHONE, HOSTILE, Date.now())]);
    await page.locator('#alert-feed tbody tr').first().waitFor({ timeout: 15_000 });
    expect((await cells('#alert-feed tbody tr')).slice(1)).toEqual([
      PHONE,
      'Kitchen iPad',
      HOSTILE,
      'a <b>hostile</b> network',
    ]);
    await page.screenshot({ path: await screenshotPath('console-alerts.png') });
  });

  it("shows a device's figures, SSIDs and a chart of its probes per hour from the windowed counts", async () => {
    await page.locator(`#alert-feed a[href="#/devices/${PHONE}"]`).click();
    await page.locator('#device-count', { hasText: /^3$/ }).waitFor();
    expect(await page.locator('h2').textContent()).toBe(`Kitchen iPad ${PHONE}`);
    expect(await page.locator('#device-ssids li').allTextContents()).toEqual(['(wildcard)', HOSTILE, 'RNM0']);
    await page.locator('.chart figcaption', { hasText: 'per hour' }).waitFor();
    const bars = await page
      .locator('.chart rect.bar')
      .evaluateAll((rects) => rects.map((r) => [Number(r.getAttribute('height')), r.textContent]));
    // 24 hours up to the last probe (now): the probes of 2020 are older than the hours kept.
    expect(bars).toHaveLength(24);
    const drawn = bars.filter(([height]) => (height as number) > 0);
    expect(drawn).toHaveLength(1);
    expect(drawn[0]?.[1]).toMatch(/: 1$/);
    await page.screenshot({ path: await screenshotPath('console-device.png') });
  });

  it('removes an SSID from the watch list', async () => {
    await page.locator('nav a[data-page="alerts"]').click();
    await page.locator('#watch-list tbody tr button').click();
    await page.locator('#watch-list tbody tr').waitFor({ state: 'detached' });
    await eventually(
      async () => (await fetch(`${a.url}/ssid-alerts`)).json(),
      (list) => JSON.stringify(list) === JSON.stringify({ alerts: [] }),
    );
  });

  it('shows the engine of both instances, as GET /engine gathers it', async () => {
    await page.locator('nav a[data-page="engine"]').click();
    await page.locator('#engine-instances tbody tr').nth(1).waitFor();
    expect(await page.locator('#engine-instances tbody tr').count()).toBe(2);
    const engine = (await (await fetch(`${a.url}/engine`)).json()) as {
      instances: { host: string; activeTasks: string[]; standbyTasks: string[] }[];
    };
    expect(engine.instances.map((i) => i.host).sort()).toEqual([a.self, b.self].sort());
    for (const instance of engine.instances) {
      const shown = await cells(`#engine-instances tr[data-host="${instance.host}"]`);
      expect(shown[0]).toBe(instance.host === a.self ? `${a.self}this one` : b.self);
      expect(shown[1]).toBe('RUNNING');
      expect(shown[2]).toBe(instance.activeTasks.join(' '));
      expect(shown[3]).toBe(instance.standbyTasks.join(' ') || '—');
    }
    // Each task (a sub-topology's partition: two each) active on exactly one of the two instances.
    const tasks = buildProbeTopology({ topics }).subtopologies().length * 2;
    const active = engine.instances.flatMap((i) => i.activeTasks);
    expect(active).toHaveLength(tasks);
    expect(new Set(active).size).toBe(tasks);
    await page.screenshot({ path: await screenshotPath('console-engine.png') });
  });

  it('broke no Content-Security-Policy rule on any of its pages', async () => {
    // Recorded since the page was loaded: every view above ran in this one document.
    expect(await page.evaluate('window.violations')).toEqual([]);
  });

  it('serves Swagger UI from the package', async () => {
    await page.goto(`${a.url}/docs`);
    await page.getByText('/devices/{mac}/stats').first().waitFor();
  });

  it('ran no script from a string, and asked nothing of another host', async () => {
    expect(await page.evaluate('window.violations')).toEqual([]); // Swagger UI's page

    expect(trouble).toEqual({ dialogs: [], errors: [], elsewhere: [] });
  });
});
