import { performance } from 'node:perf_hooks';
import { type Admin, type Kafka, Partitioners } from 'kafkajs';
import { KafkaStreams, Serdes, StreamsBuilder, type Topology } from '../src/topology/index.js';
import { seededRandom } from '../test/support/random.js';
import {
  type BenchSuite,
  benchKafka,
  log,
  perSecond,
  pollUntil,
  report,
  rssMb,
  type SuiteContext,
  uniqueName,
} from './support.js';

/**
 * The engine suite: produce `pcap` records, then read them back twice, once with a bare kafkajs consumer
 * (the ceiling) and once through a count topology. Issue: "count-inmemory ≥ 50 % of consume-raw and
 * ≥ 50,000 events/s on this 2-core machine".
 */

const BENCH = 'engine';
const PARTITIONS = 6;
const DISTINCT_MACS = 10_000;
const PROBE_SHARE = 0.8;
/** Messages per produce request, and requests in flight at once. */
const PRODUCE_CHUNK = 5_000;
const PRODUCE_IN_FLIGHT = 4;
const STORE = 'bench-counts';
const TARGET_RATIO = 0.5;
const TARGET_COUNT_RATE = 50_000;

/** The part of a `pcap` record the topology reads. */
interface PcapFrame {
  readonly timestamp: string;
  readonly wlan_fc_type_subtype?: readonly string[];
  readonly wlan_radio_signal_dbm?: readonly string[];
  readonly wlan_sa?: readonly string[];
  readonly wlan_ssid?: readonly string[];
}

const SSIDS = [
  '',
  'RNM0',
  'eduroam',
  'HomeNet-5G',
  'FRITZ!Box 7590',
  'Free WiFi',
  'iPhone de Marie',
  'linksys',
];
const OUIS = ['a4:83:e7', 'f0:18:98', '3c:22:fb', 'dc:a6:32', '00:1a:11', 'b8:27:eb', '8c:85:90', '40:4e:36'];
/** Frames that are not probe requests: beacons ("8") and QoS data ("40"). */
const OTHER_SUBTYPES = ['8', '8', '40'];
const FIRST_TIMESTAMP = 1_587_564_340_123;

/** `count` distinct lower-case, colon-separated MACs: an OUI and a 24-bit suffix that is a bijection of i. */
function distinctMacs(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const suffix = (Math.imul(i, 0x9e3779b1) >>> 0) & 0xffffff;
    const hex = suffix.toString(16).padStart(6, '0');
    return `${OUIS[i % OUIS.length]}:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
  });
}

/** Makes the `pcap` records chunk by chunk, keeping what the count must find: probe requests per MAC. */
class PcapRecords {
  readonly probesByMac = new Map<string, number>();
  probes = 0;
  valueBytes = 0;
  readonly #macs = distinctMacs(DISTINCT_MACS);
  readonly #random = seededRandom(0x5eed);
  #made = 0;

  next(count: number): { key: string; value: string }[] {
    const random = this.#random;
    const messages = new Array<{ key: string; value: string }>(count);
    for (let i = 0; i < count; i++) {
      const mac = this.#macs[Math.floor(random() * this.#macs.length)] as string;
      const probe = random() < PROBE_SHARE;
      const subtype = probe ? '4' : (OTHER_SUBTYPES[Math.floor(random() * OTHER_SUBTYPES.length)] as string);
      const frame: PcapFrame = {
        timestamp: String(FIRST_TIMESTAMP + Math.floor(this.#made / 10)),
        wlan_fc_type_subtype: [subtype],
        wlan_radio_signal_dbm: [String(-30 - Math.floor(random() * 61))],
        wlan_sa: [mac],
        wlan_ssid: [SSIDS[Math.floor(random() * SSIDS.length)] as string],
      };
      const value = JSON.stringify(frame);
      this.valueBytes += value.length;
      messages[i] = { key: mac, value };
      if (probe) {
        this.probes += 1;
        this.probesByMac.set(mac, (this.probesByMac.get(mac) ?? 0) + 1);
      }
      this.#made += 1;
    }
    return messages;
  }
}

/** Waits for a run to finish, with room for a slow, shared machine: a minute plus 5,000 records a second. */
function timeoutFor(records: number): number {
  return 60_000 + Math.ceil(records / 5);
}

async function produce(kafka: Kafka, topic: string, records: number): Promise<PcapRecords> {
  const source = new PcapRecords();
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const started = performance.now();
    let sent = 0;
    const worker = async () => {
      while (sent < records) {
        const count = Math.min(PRODUCE_CHUNK, records - sent);
        sent += count;
        await producer.send({ topic, acks: -1, messages: source.next(count) });
      }
    };
    await Promise.all(Array.from({ length: PRODUCE_IN_FLIGHT }, worker));
    const elapsedMs = performance.now() - started;
    report(BENCH, 'produce', perSecond(records, elapsedMs), 'events/s', {
      records,
      partitions: PARTITIONS,
      elapsedMs: Math.round(elapsedMs),
      valueMb: Math.round((source.valueBytes / 2 ** 20) * 10) / 10,
      chunk: PRODUCE_CHUNK,
      inFlight: PRODUCE_IN_FLIGHT,
      acks: -1,
    });
  } finally {
    await producer.disconnect();
  }
  return source;
}

/** The end offset of each partition, checked to add up to what was produced. */
async function endOffsets(admin: Admin, topic: string, records: number): Promise<Map<number, bigint>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  const total = [...ends.values()].reduce((sum, end) => sum + end, 0n);
  if (total !== BigInt(records)) throw new Error(`${topic} holds ${total} records, not ${records}`);
  return ends;
}

/** consume-raw: a kafkajs consumer that only counts, from connect until it has seen every record. */
async function consumeRaw(kafka: Kafka, admin: Admin, topic: string, records: number): Promise<number> {
  const groupId = uniqueName('bench-raw');
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 500 });
  const started = performance.now();
  let firstBatchAt: number | undefined;
  let seen = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const doneAt = await new Promise<number>((resolve, reject) => {
      const timeoutMs = timeoutFor(records);
      const timer = setTimeout(
        () => reject(new Error(`consume-raw: read ${seen} of ${records} records within ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer.on(consumer.events.CRASH, (event) => {
        clearTimeout(timer);
        reject(event.payload.error);
      });
      consumer
        .run({
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            firstBatchAt ??= performance.now();
            seen += batch.messages.length;
            if (seen >= records) {
              clearTimeout(timer);
              resolve(performance.now());
            }
          },
        })
        .catch(reject);
    });
    const elapsedMs = doneAt - started;
    const rate = perSecond(records, elapsedMs);
    report(BENCH, 'consume-raw', rate, 'events/s', {
      records,
      partitions: PARTITIONS,
      elapsedMs: Math.round(elapsedMs),
      firstBatchMs: Math.round((firstBatchAt ?? doneAt) - started),
    });
    return rate;
  } finally {
    await consumer.disconnect();
    await forget(admin, { topics: [], groups: [groupId] });
  }
}

function countTopology(topic: string): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream<string, PcapFrame>(topic, { keySerde: Serdes.String(), valueSerde: Serdes.Json<PcapFrame>() })
    .filter((_mac, frame) => frame.wlan_fc_type_subtype?.[0] === '4')
    .groupByKey()
    .count({ storeName: STORE, persistent: false });
  return builder.build();
}

async function recordsConsumed(streams: KafkaStreams): Promise<number> {
  if (streams.state === 'ERROR') throw streams.error ?? new Error('the engine failed');
  const { values } = await streams.metrics.recordsConsumed.get();
  return values.reduce((sum, sample) => sum + sample.value, 0);
}

/** Partitions whose committed offset has not reached the end yet. */
async function uncommittedPartitions(
  admin: Admin,
  groupId: string,
  topic: string,
  ends: Map<number, bigint>,
): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = new Map((offsets?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  let behind = 0;
  for (const [partition, end] of ends) if ((committed.get(partition) ?? -1n) < end) behind += 1;
  return behind;
}

interface CountOutcome {
  readonly rate: number;
  readonly correct: boolean;
}

/**
 * count-inmemory: from `start()` until the engine has run every record through the topology (its
 * records-consumed metric rises after a batch is processed), the same end point as consume-raw's. Also
 * reported, not part of the rate: when the commit of the last offsets landed (up to one commit interval
 * later). Then the store must hold every probe request, MAC by MAC.
 */
async function countInMemory(
  brokers: readonly string[],
  admin: Admin,
  topic: string,
  ends: Map<number, bigint>,
  expected: PcapRecords,
): Promise<CountOutcome> {
  const records = [...ends.values()].reduce((sum, end) => sum + Number(end), 0);
  const applicationId = uniqueName('bench-engine');
  const streams = new KafkaStreams(countTopology(topic), {
    applicationId,
    bootstrapServers: brokers,
    commitIntervalMs: 1000,
    processingGuarantee: 'at_least_once',
  });
  let runningAt: number | undefined;
  streams.onStateChange((next) => {
    if (next === 'RUNNING') runningAt ??= performance.now();
  });
  const timeoutMs = timeoutFor(records);
  try {
    const started = performance.now();
    await streams.start();
    const consumedAt = await pollUntil(
      'count-inmemory: records consumed',
      () => recordsConsumed(streams),
      (consumed) => consumed >= records,
      { intervalMs: 50, timeoutMs },
    );
    const committedAt = await pollUntil(
      'count-inmemory: partitions not committed to their end',
      () => uncommittedPartitions(admin, applicationId, topic, ends),
      (behind) => behind === 0,
      { intervalMs: 100, timeoutMs },
    );
    const elapsedMs = consumedAt - started;
    const rate = perSecond(records, elapsedMs);
    const { values: commits } = await streams.metrics.commits.get();
    report(BENCH, 'count-inmemory', rate, 'events/s', {
      records,
      partitions: PARTITIONS,
      elapsedMs: Math.round(elapsedMs),
      runningMs: Math.round((runningAt ?? started) - started),
      committedMs: Math.round(committedAt - started),
      committedEventsPerSec: perSecond(records, committedAt - started),
      commits: commits[0]?.value ?? 0,
      target: TARGET_COUNT_RATE,
      met: rate >= TARGET_COUNT_RATE,
    });
    return { rate, correct: await checkCounts(streams, expected) };
  } finally {
    await streams.close();
    await forget(admin, {
      topics: [`${applicationId}-${STORE}-changelog`, `${applicationId}-dlq`],
      groups: [applicationId],
    });
  }
}

/** Deletes what a run made, so that runs against a long-lived broker leave nothing behind. */
async function forget(admin: Admin, made: { topics: string[]; groups: string[] }): Promise<void> {
  if (made.topics.length > 0) {
    await admin
      .deleteTopics({ topics: made.topics })
      .catch((error) => log(`could not delete topics: ${error}`));
  }
  if (made.groups.length > 0) {
    await admin.deleteGroups(made.groups).catch((error) => log(`could not delete groups: ${error}`));
  }
}

/** count-correct: the counts in the store add up to the probe requests produced, and match MAC by MAC. */
async function checkCounts(streams: KafkaStreams, expected: PcapRecords): Promise<boolean> {
  let total = 0;
  let keys = 0;
  let mismatched = 0;
  for await (const { key, value } of streams.store<string, number>(STORE).all()) {
    total += value;
    keys += 1;
    if (expected.probesByMac.get(key) !== value) mismatched += 1;
  }
  mismatched += Math.max(0, expected.probesByMac.size - keys);
  const correct = total === expected.probes && mismatched === 0;
  report(BENCH, 'count-correct', correct ? 1 : 0, 'bool', {
    expected: expected.probes,
    actual: total,
    keys,
    expectedKeys: expected.probesByMac.size,
    mismatchedKeys: mismatched,
  });
  return correct;
}

async function run({ brokers, records }: SuiteContext): Promise<void> {
  const kafka = benchKafka(brokers, uniqueName('bench-engine-client'));
  const admin = kafka.admin();
  await admin.connect();
  const topic = uniqueName('bench-pcap');
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
    log(`producing ${records} pcap records (${DISTINCT_MACS} MACs) into ${topic} (${PARTITIONS} partitions)`);
    const expected = await produce(kafka, topic, records);
    const ends = await endOffsets(admin, topic, records);

    log('consume-raw: kafkajs, counting only');
    const rawRate = await consumeRaw(kafka, admin, topic, records);

    log('count-inmemory: filter + groupByKey + count, at-least-once');
    const count = await countInMemory(brokers, admin, topic, ends, expected);

    const ratio = Math.round((count.rate / rawRate) * 1000) / 1000;
    report(BENCH, 'count-inmemory-vs-raw', ratio, 'ratio', {
      target: TARGET_RATIO,
      met: ratio >= TARGET_RATIO,
    });
    const memory = process.memoryUsage();
    report(BENCH, 'rss-mb', rssMb(), 'MB', { heapUsedMb: Math.round(memory.heapUsed / 2 ** 20) });
    if (!count.correct) throw new Error('count-correct is 0: the store does not hold every probe request');
  } finally {
    await forget(admin, { topics: [topic], groups: [] });
    await admin.disconnect();
  }
}

export const engineSuite: BenchSuite = {
  name: BENCH,
  description: 'produce pcap records, then consume-raw (kafkajs) vs count-inmemory (the engine)',
  run,
};
