import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startBot } from '../../../src/bot/start-bot.js';
import { freePort } from '../../../src/local/ports.js';
import { silentLogger } from '../../../src/logging/index.js';
import { manualDevice } from '../../../src/probes/device-writer.js';
import { deviceSerde, ssidAlertSerde } from '../../../src/probes/schemas.js';
import { pcapValueOf } from '../../../src/probes/serdes.js';
import { buildProbeTopology } from '../../../src/probes/topology.js';
import { CliProcess } from '../../support/cli.js';
import { FakeTelegram } from '../../support/fake-telegram.js';
import { uniqueName } from '../../support/kafka.js';
import {
  startTestProbeApp,
  type TestProbeApp,
  uniqueProbeTopics,
  waitForGroup,
} from '../../support/probe-app.js';
import { type PromSeries, TestPrometheus } from '../../support/prometheus.js';
import { eventually, useStreamsTestContext } from '../../support/streams.js';

const DASHBOARD = fileURLToPath(new URL('../../../dashboards/grafana/probestream.json', import.meta.url));
const BOT_TOKEN = '5550001:dashboard-test-token-ABCDEFGH';
const LONE_BOT_TOKEN = '5550002:dashboard-test-lone-bot-IJKLMNOP';
const CHAT = 7070;
const DEVICES = 20;
const T0 = 1_587_564_340_123;
const macOf = (i: number) => `a4:83:e7:00:01:${i.toString(16).padStart(2, '0')}`;

interface Panel {
  readonly title: string;
  readonly targets?: readonly { readonly expr: string }[];
}

/** Every PromQL expression of the dashboard, with its panel's title. */
function dashboardQueries(): { title: string; expr: string }[] {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map(({ expr }) => ({ title: panel.title, expr })),
  );
}

/** Data: at least one series, and a number in it (a quantile of nothing is NaN). */
const hasData = (result: PromSeries[]) => result.some((series) => Number.isFinite(Number(series.value[1])));

describe('the Grafana dashboard against a real Prometheus scraping two instances on the real broker', () => {
  const context = useStreamsTestContext();
  const topics = uniqueProbeTopics();
  const applicationId = uniqueName('dashboard-app');
  const closers: (() => Promise<void>)[] = [];
  const app = `application_id="${applicationId}"`;
  let a: TestProbeApp;
  let b: TestProbeApp;
  let prometheus: TestPrometheus;
  let loneBot: { telegram: FakeTelegram; target: string };

  const probe = (mac: string, ssid: string | null, timestamp: number) => ({
    key: mac,
    value: JSON.stringify(pcapValueOf({ mac, ssid, timestamp, signalDbm: -60 })),
  });
  async function startInstance(): Promise<TestProbeApp> {
    const instance = await startTestProbeApp(context.kafka, {
      topics,
      applicationId,
      partitions: 2,
      streams: { numStandbyReplicas: 1 },
    });
    closers.push(() => instance.app.close());
    return instance;
  }

  /** Devices, a watched SSID and one record that is not JSON, all processed and committed. */
  async function feedFirstInstance(producer: Producer): Promise<void> {
    const phone = manualDevice(macOf(0), 'Kitchen iPad');
    await producer.send({
      topic: topics.devices,
      messages: [{ key: macOf(0), value: deviceSerde().serialize(phone) }],
    });
    const watch = ssidAlertSerde().serialize({ reason: 'a watched network' });
    await producer.send({ topic: topics.ssidAlertList, messages: [{ key: 'RNM0', value: watch }] });
    await producer.send({
      topic: topics.pcap,
      messages: [
        ...Array.from({ length: DEVICES }, (_, i) => probe(macOf(i), `home-${i}`, T0 + i)),
        { key: 'unreadable', value: 'this is not a frame' },
      ],
    });
    // Committed before the second instance joins, so that nothing is processed (or dead-lettered) twice.
    const end = (await context.admin.fetchTopicOffsets(topics.pcap)).reduce(
      (sum, p) => sum + Number(p.high),
      0,
    );
    const committed = async () =>
      (await context.admin.fetchOffsets({ groupId: applicationId, topics: [topics.pcap] }))
        .flatMap((t) => t.partitions)
        .reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    await eventually(committed, (offsets) => offsets === end);
  }

  /** The bot inside instance a, as `start` runs it; Telegram refuses its first message once (429). */
  async function deliverOneAlert(producer: Producer): Promise<void> {
    const telegram = await FakeTelegram.start(BOT_TOKEN);
    closers.push(() => telegram.close());
    telegram.failSendMessage(1, {
      errorCode: 429,
      description: 'Too Many Requests: retry after 1',
      retryAfter: 1,
    });
    const bot = await startBot({
      config: {
        token: BOT_TOKEN,
        apiRoot: telegram.apiRoot,
        allowedChatIds: [CHAT],
        alertChatIds: [CHAT],
        apiUrl: a.url,
        alertsTopic: topics.alerts,
        alertsGroupId: uniqueName('bot-alerts'),
      },
      kafka: context.kafka,
      alertsFromBeginning: true,
      logger: silentLogger,
      metricsRegistry: a.app.extraMetrics,
    });
    closers.push(() => bot.stop());
    await producer.send({ topic: topics.pcap, messages: [probe(macOf(0), 'RNM0', Date.now())] });
    await telegram.waitForSent(1, CHAT, 30_000);
  }

  /**
   * `probestream bot` as its own process, serving its counters on a port of its own. The command reads the
   * default `alerts` topic, which other tests may share: an alert is written to it (again each second, so
   * that one written before its consumer took its position is not missed) until Telegram has one.
   */
  async function startLoneBot(producer: Producer): Promise<{ telegram: FakeTelegram; target: string }> {
    const telegram = await FakeTelegram.start(LONE_BOT_TOKEN);
    closers.push(() => telegram.close());
    // `start` creates it; here no instance uses the default names.
    await context.admin.createTopics({
      topics: [{ topic: 'alerts', numPartitions: 1 }],
      waitForLeaders: true,
    });
    const port = await freePort();
    const bot = new CliProcess(['bot'], {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      APPLICATION_ID: uniqueName('lone-bot'),
      PROBESTREAM_API_URL: a.url,
      TELEGRAM_BOT_TOKEN: LONE_BOT_TOKEN,
      TELEGRAM_API_ROOT: telegram.apiRoot,
      TELEGRAM_ALLOWED_CHAT_IDS: String(CHAT),
      TELEGRAM_ALERT_CHAT_IDS: String(CHAT),
      BOT_METRICS_PORT: String(port),
    });
    closers.push(async () => {
      bot.signal('SIGTERM');
      await bot.exited;
    });
    await bot.waitForOutput(/bot running/);
    const alert = { ts: new Date().toISOString(), mac: macOf(1), ssid: 'RNM0', reason: 'lone bot' };
    await eventually(
      async () => {
        await producer.send({ topic: 'alerts', messages: [{ key: macOf(1), value: JSON.stringify(alert) }] });
        return telegram.sent(CHAT).length;
      },
      (sent) => sent > 0,
      30_000,
    );
    return { telegram, target: `127.0.0.1:${port}` };
  }

  beforeAll(async () => {
    const producer = context.kafka.producer();
    await producer.connect();
    closers.push(() => producer.disconnect());
    a = await startInstance();
    await feedFirstInstance(producer);
    // The second instance takes half the tasks, restoring their stores from the changelogs.
    b = await startInstance();
    await waitForGroup([a, b]);
    await deliverOneAlert(producer);
    loneBot = await startLoneBot(producer);
    // A steady trickle, so that rates, commits and latencies have something to measure.
    let n = 0;
    const trickle = setInterval(() => {
      const mac = macOf(1 + (n++ % (DEVICES - 1)));
      void producer
        .send({ topic: topics.pcap, messages: [probe(mac, 'trickle', Date.now())] })
        .catch(() => {});
    }, 200);
    closers.push(async () => clearInterval(trickle));
    prometheus = await TestPrometheus.start([a.self, b.self, loneBot.target]);
    closers.push(() => prometheus.close());
  }, 240_000);

  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('scrapes both instances and the bot running on its own', async () => {
    await eventually(
      () => prometheus.targets(),
      (targets) => targets.length === 3 && targets.every((t) => t.health === 'up'),
    );
  });

  it('answers every query of the dashboard with data, as Grafana sends it', async () => {
    // All instances of this application, a 30 s rate interval.
    const missing: string[] = [];
    await Promise.all(
      dashboardQueries().map(async ({ title, expr }) => {
        const query = expr
          .replaceAll('$__rate_interval', '30s')
          .replaceAll('$instance', '.*')
          .replaceAll('$application_id', applicationId);
        try {
          await eventually(() => prometheus.query(query), hasData, 60_000);
        } catch (error) {
          missing.push(`${title}: ${query}: ${(error as Error).message}`);
        }
      }),
    );
    expect(missing).toEqual([]);
    expect(dashboardQueries().length).toBeGreaterThanOrEqual(20);
  }, 90_000);

  it('shows the figures the instances hold', async () => {
    // Each sub-topology's 2 tasks shared by two instances, one dead letter, one alert after one retry.
    const value = async (expr: string) => (await prometheus.query(expr)).map((s) => Number(s.value[1]));
    const tasks = buildProbeTopology({ topics }).subtopologies().length * 2;
    expect(await value(`sum(probestream_tasks{${app}})`)).toEqual([tasks]);
    expect(await value(`count(probestream_tasks{${app}} > 0)`)).toEqual([2]);
    expect(await value(`sum(probestream_dlq_records_total{${app}})`)).toEqual([1]);
    expect(await value(`sum(probestream_bot_alerts_sent_total{instance="${a.self}"})`)).toEqual([1]);
    expect(await value('sum(probestream_bot_alerts_retried_total{reason="rate_limited"})')).toEqual([1]);
    expect(await value(`sum(probestream_restored_records_total{${app}}) > 0`)).toHaveLength(1);
  });

  it('shows in the bot panel the bot running on its own, as a series of its own', async () => {
    const panel = dashboardQueries().find((q) => q.title === 'Alerts sent / s');
    const query = (panel?.expr ?? '').replaceAll('$__rate_interval', '30s');
    const instances = async () => (await prometheus.query(query)).map((s) => s.metric.instance);
    await eventually(instances, (shown) => shown.includes(loneBot.target) && shown.includes(a.self));
    // Its counter, scraped from its own /metrics, counts every message its Telegram took.
    const sent = async () =>
      (await prometheus.query(`probestream_bot_alerts_sent_total{instance="${loneBot.target}"}`)).map((s) =>
        Number(s.value[1]),
      );
    await eventually(sent, (values) => values[0] === loneBot.telegram.sent(CHAT).length);
    expect(loneBot.telegram.sent(CHAT).length).toBeGreaterThan(0);
  });

  it("offers the application and its instances as the dashboard's variables", async () => {
    const labelValues = async (label: string) => {
      const query = new URLSearchParams({ 'match[]': `probestream_tasks{${app}}` });
      const response = await fetch(`${prometheus.url}/api/v1/label/${label}/values?${query}`);
      return ((await response.json()) as { data: string[] }).data;
    };
    expect(await labelValues('application_id')).toEqual([applicationId]);
    expect(await labelValues('instance')).toEqual([a.self, b.self].sort());
  });
});
