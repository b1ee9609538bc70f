import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import {
  type KafkaStreams,
  Serdes,
  SessionWindows,
  StreamsBuilder,
  Suppressed,
  TimeWindows,
} from '../../../src/topology/index.js';
import { uniqueName } from '../../support/kafka.js';
import {
  committedRecords,
  createTopics,
  droppedRecords,
  eventually,
  newStateDir,
  readTable,
  restoredRecords,
  testStreams,
  useStreamsTestContext,
} from '../../support/streams.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 0, 1);
const KEYS = 20;
const MINUTES = 300;
/** Each key probes once a minute for 40 minutes, then is quiet for 10: sessions of 40 records. */
const active = (minute: number) => minute % 50 < 40;

/** Per-minute counts (their final values, once each minute closes, to `finals`) and sessions per key. */
function windowedTopology(input: string, finals: string) {
  const builder = new StreamsBuilder();
  const grouped = builder.stream<string, string>(input, { valueSerde: Serdes.String() }).groupByKey();
  grouped
    .windowedBy(TimeWindows.ofSizeAndGrace(MINUTE, MINUTE))
    .count({ storeName: 'per-minute', retentionMs: 10 * MINUTE })
    .suppress(Suppressed.untilWindowCloses())
    .toStream()
    .map((windowed, count) => [`${windowed.key}@${(windowed.window.start - T0) / MINUTE}`, String(count)], {
      valueSerde: Serdes.String(),
    })
    .to(finals, { valueSerde: Serdes.String() });
  grouped
    .windowedBy(SessionWindows.ofInactivityGapAndGrace(5 * MINUTE, MINUTE))
    .count({ storeName: 'sessions', retentionMs: 60 * MINUTE });
  return builder.build();
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** What a user would ask of every key: its minute windows and its sessions. */
async function answers(streams: KafkaStreams) {
  const minutes = streams.windowStore<string, number>('per-minute');
  const sessions = streams.sessionStore<string, number>('sessions');
  const result: Record<string, unknown> = {};
  for (let k = 0; k < KEYS; k++) {
    const key = `device-${k}`;
    result[key] = {
      minutes: (await collect(minutes.fetch(key, T0, T0 + MINUTES * MINUTE))).map(
        (e) => `${(e.key - T0) / MINUTE}:${e.value}`,
      ),
      sessions: sessions
        .fetch(key)
        .map((s) => `${(s.key.window.start - T0) / MINUTE}-${(s.key.window.end - T0) / MINUTE}:${s.value}`),
    };
  }
  return result;
}

/** The last active minute is 289: windows from 280 are kept (retention 10 min), sessions ending from 230. */
const EXPECTED = {
  minutes: [280, 281, 282, 283, 284, 285, 286, 287, 288, 289].map((m) => `${m}:1`),
  sessions: ['200-239:40', '250-289:40'],
};

describe('window and session stores on the broker', () => {
  const context = useStreamsTestContext();

  it('keep only what retention allows, count late records, suppress to final results, and restore from their changelogs', async () => {
    const input = uniqueName('windowed-in');
    const finals = uniqueName('windowed-finals');
    const applicationId = uniqueName('windowed-app');
    const stateDir = newStateDir();
    await createTopics(context.admin, { [input]: 2, [finals]: 2 });
    const producer = context.kafka.producer();
    await producer.connect();
    const messages = [];
    for (let minute = 0; minute < MINUTES; minute++) {
      if (!active(minute)) continue;
      for (let k = 0; k < KEYS; k++)
        messages.push({ key: `device-${k}`, value: 'probe', timestamp: String(T0 + minute * MINUTE) });
    }
    // Late: minute 0 again, long after both stores closed it.
    for (let i = 0; i < 7; i++) messages.push({ key: 'device-3', value: 'late', timestamp: String(T0) });
    await producer.send({ topic: input, messages });
    await producer.disconnect();

    const first = testStreams(windowedTopology(input, finals), { applicationId, stateDir });
    context.running.push(first);
    await first.start();
    const expected = Object.fromEntries([...Array(KEYS)].map((_, k) => [`device-${k}`, EXPECTED]));
    // A first start joins a group and creates its topics: on a loaded machine that alone may take 30 s.
    await eventually(
      () => answers(first),
      (got) => JSON.stringify(got) === JSON.stringify(expected),
      90_000,
    );
    // Each late record was dropped by both aggregations.
    await eventually(
      () => droppedRecords(first, 'late'),
      (n) => n === 14,
    );
    // 4,800 minute windows written; what is left on disk is what retention keeps (10 per key) plus at most
    // one segment (5 minutes) that expiry drops whole later, plus each partition's stream time.
    // Measured once every input record is committed: the stores on disk then hold all the commits did.
    const committed = () => committedRecords(context.admin, applicationId, input);
    await eventually(committed, (n) => n === messages.length);
    const windowEntries = first.windowStore('per-minute').approximateNumEntries();
    expect(windowEntries).toBeLessThanOrEqual(KEYS * 15 + 2);
    expect(windowEntries).toBeGreaterThanOrEqual(KEYS * 10);
    // One final count per key and closed minute (the last two are still open: grace 1 minute), each 1.
    const closedMinutes = [...Array(MINUTES).keys()].filter((m) => active(m) && m <= 287).length;
    // A fresh group joins and reads the topic: slow on a loaded machine, so it may take a while.
    const { table } = await readTable(context.kafka, finals, KEYS * closedMinutes, 90_000);
    expect(table.size).toBe(KEYS * closedMinutes);
    expect(new Set(table.values())).toEqual(new Set(['1']));
    const written = async () =>
      (await context.admin.fetchTopicOffsets(finals)).reduce((n, p) => n + Number(p.high), 0);
    expect(await written()).toBe(KEYS * closedMinutes);
    await first.close();
    expect(await written()).toBe(KEYS * closedMinutes);

    // The state deleted: rebuilt from the changelogs, expired windows included as tombstones.
    await rm(stateDir, { recursive: true, force: true });
    const second = testStreams(windowedTopology(input, finals), { applicationId, stateDir });
    context.running.push(second);
    await second.start();
    await second.waitForState('RUNNING');
    expect(await answers(second)).toEqual(expected);
    expect(await restoredRecords(second)).toBeGreaterThan(0);
    expect(second.windowStore('per-minute').approximateNumEntries()).toBe(windowEntries);
    await second.close();
  }, 240_000);
});
