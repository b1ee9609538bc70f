import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { type KafkaStreams, Serdes, SlidingWindows, StreamsBuilder } from '../../../src/topology/index.js';
import { uniqueName } from '../../support/kafka.js';
import {
  committedRecords,
  createTopics,
  droppedRecords,
  eventually,
  newStateDir,
  restoredRecords,
  testStreams,
  useStreamsTestContext,
} from '../../support/streams.js';

const SECOND = 1_000;
const T0 = Date.UTC(2026, 0, 1);
const KEYS = 6;
const STEPS = 180;
const DIFF = 60 * SECOND;
const GRACE = 120 * SECOND;
/** The default retention: twice the time difference plus grace plus 2 ms. */
const RETENTION = 2 * DIFF + GRACE + 2;

/** Each key sends a record every 20 s for an hour, up to 60 s early or late: out of order within grace. */
function records(): { key: string; t: number }[] {
  const out: { key: string; t: number }[] = [];
  for (let step = 0; step < STEPS; step++)
    for (let k = 0; k < KEYS; k++) {
      const jitter = step === STEPS - 1 ? 0 : ((step * 7 + k * 13) % 61) * SECOND;
      out.push({ key: `device-${k}`, t: T0 + step * 20 * SECOND - jitter });
    }
  return out;
}

function slidingTopology(input: string) {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>(input, { valueSerde: Serdes.String() })
    .groupByKey()
    .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(DIFF, GRACE))
    .count({ storeName: 'sliding' });
  return builder.build();
}

/** The windows of KIP-450 worked out from the records: one ending at each, one just after each that holds some. */
function expectedWindows(times: number[], from: number): string[] {
  const starts = new Set(times.map((t) => Math.max(0, t - DIFF)));
  for (const t of times) if (times.some((u) => u > t && u <= t + 1 + DIFF)) starts.add(t + 1);
  return [...starts]
    .filter((start) => start >= from)
    .sort((a, b) => a - b)
    .map((start) => `${start - T0}:${times.filter((u) => u >= start && u <= start + DIFF).length}`);
}

async function answers(streams: KafkaStreams, from: number) {
  const store = streams.windowStore<string, number>('sliding');
  const result: Record<string, string[]> = {};
  for (let k = 0; k < KEYS; k++) {
    const windows: string[] = [];
    for await (const e of store.fetch(`device-${k}`, from, T0 + STEPS * 20 * SECOND))
      windows.push(`${e.key - T0}:${e.value}`);
    result[`device-${k}`] = windows;
  }
  return result;
}

describe('sliding windows on the broker', () => {
  const context = useStreamsTestContext();

  it('count exactly over out-of-order records, drop late ones, stay bounded, and restore from the changelog', async () => {
    const input = uniqueName('sliding-in');
    const applicationId = uniqueName('sliding-app');
    const stateDir = newStateDir();
    await createTopics(context.admin, { [input]: 2 });
    const sent = records();
    // Late: the first minute again, long after every window holding it closed.
    const late = [0, 1, 2, 3, 4].map(() => ({ key: 'device-0', t: T0 }));
    const producer = context.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: input,
      messages: [...sent, ...late].map(({ key, t }) => ({ key, value: 'probe', timestamp: String(t) })),
    });
    await producer.disconnect();

    const last = T0 + (STEPS - 1) * 20 * SECOND;
    // Windows every task still retains, whichever keys it holds: those from the latest stream time's horizon.
    const from = last - RETENTION + 1;
    const expected = Object.fromEntries(
      [...Array(KEYS)].map((_, k) => [
        `device-${k}`,
        expectedWindows(
          sent.filter((r) => r.key === `device-${k}`).map((r) => r.t),
          from,
        ),
      ]),
    );
    expect(expected['device-0']?.length).toBeGreaterThan(15);

    const first = testStreams(slidingTopology(input), { applicationId, stateDir });
    context.running.push(first);
    await first.start();
    await eventually(
      () => answers(first, from),
      (got) => JSON.stringify(got) === JSON.stringify(expected),
      90_000,
    );
    await eventually(
      () => droppedRecords(first, 'late'),
      (n) => n === late.length,
    );
    const committed = () => committedRecords(context.admin, applicationId, input);
    await eventually(committed, (n) => n === sent.length + late.length);
    // Some 4,300 windows and 2,900 index buckets were written; retention (4 min) and one segment (2 min)
    // keep about 6 minutes of them: some 21 records' two windows and 50 index buckets per key.
    const entries = first.windowStore('sliding').approximateNumEntries();
    expect(entries).toBeLessThanOrEqual(KEYS * 100 + 2);
    // And at least the live windows themselves.
    expect(entries).toBeGreaterThan(Object.values(expected).reduce((n, windows) => n + windows.length, 0));
    await first.close();

    await rm(stateDir, { recursive: true, force: true });
    const second = testStreams(slidingTopology(input), { applicationId, stateDir });
    context.running.push(second);
    await second.start();
    await second.waitForState('RUNNING');
    expect(await answers(second, from)).toEqual(expected);
    expect(await restoredRecords(second)).toBeGreaterThan(0);
    expect(second.windowStore('sliding').approximateNumEntries()).toBe(entries);
    await second.close();
  });
});
