import { open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Admin, Kafka } from 'kafkajs';
import { openCaptureFile } from '../src/capture/open.js';
import { readCaptureFile } from '../src/capture/pcap-file.js';
import { CaptureProducer } from '../src/capture/producer.js';
import { replay } from '../src/capture/replay.js';
import { type SyntheticFrame, syntheticFrames, writePcapng } from '../src/capture/synthetic.js';
import { decodeSsidBytes } from '../src/probes/pcap.js';
import {
  type DeviceRecord,
  deviceSerde,
  type ProbeStats,
  type ProbeTopics,
  STORES,
  ssidAlertSerde,
} from '../src/probes/schemas.js';
import { compareSsids } from '../src/probes/stats.js';
import { ensureProbeTopics } from '../src/probes/topics.js';
import { buildProbeTopology, REPARTITIONS } from '../src/probes/topology.js';
import { KafkaStreams } from '../src/topology/index.js';
import { PARTITIONS } from './pcap.js';
import {
  type BenchSuite,
  benchKafka,
  cpuMeter,
  endOffsets,
  forget,
  log,
  makeStateDir,
  mb,
  perSecond,
  pollUntil,
  producedOffsets,
  removeStateDir,
  report,
  rssMb,
  type SuiteContext,
  sumOffsets,
  timeoutFor,
  uncommittedPartitions,
  uniqueName,
} from './support.js';

/**
 * The probes suite: the Wi-Fi probe application end to end, on a synthetic capture file. Issue:
 * "`replay-pcap` (frames/s, file → acknowledged in Kafka) and `probe-pipeline` (events/s through the full
 * topology with LevelDB stores). Report them; the next wave sets targets from them." `read-pcap` (the file
 * reader alone) is reported beside `replay-pcap`, so that the reader's and the producer's costs can be told
 * apart.
 */

const BENCH = 'probes';
const SEED = 0x9e0b;
const DEVICES = 10_000;
/** Frames encoded at a time: the writer builds each file in memory. */
const WRITE_SLICE = 100_000;
/** SSIDs on the alert list; both are probed for in the synthetic capture. */
const WATCHED_SSIDS: readonly string[] = ['eduroam', '☕ Coffee Shop'];

/** `global.gc` when the process runs with --expose-gc (`npm run bench` does), else undefined. */
const gc = (globalThis as { gc?: () => void }).gc;

/** What the topology must make of a group of probe requests, counted straight from the frames. */
interface Tally {
  count: number;
  first: number;
  last: number;
  readonly ssids: Set<string | null>;
}

/** What the capture holds, and so what each figure's check expects. */
interface Expected {
  readonly frames: number;
  readonly probeRequests: number;
  /** Probe requests by source MAC, in the order the MACs first probed. */
  readonly byMac: ReadonlyMap<string, Tally>;
  /** The devices table: every other MAC that probed, two MACs to a name. */
  readonly devices: readonly DeviceRecord[];
  readonly byName: ReadonlyMap<string, Tally>;
  readonly namedProbeRequests: number;
  /** Probe requests for a watched SSID: one alert each. */
  readonly alerts: number;
}

function tally(into: Map<string, Tally>, key: string, timestamp: number, ssid: string | null): void {
  const found = into.get(key);
  if (found === undefined) {
    into.set(key, { count: 1, first: timestamp, last: timestamp, ssids: new Set([ssid]) });
    return;
  }
  found.count += 1;
  found.first = Math.min(found.first, timestamp);
  found.last = Math.max(found.last, timestamp);
  found.ssids.add(ssid);
}

/** The SSID a probe request carries as the `pcap` contract writes it: text, `""`, or null when absent. */
function probedSsid(frame: SyntheticFrame): string | null {
  if (frame.ssid === null || frame.ssid === undefined) return null;
  return typeof frame.ssid === 'string' ? frame.ssid : decodeSsidBytes(frame.ssid);
}

/** A device of the bench's devices table: named after its owner, as a user document names it. */
export function ownedDevice(mac: string, owner: number): DeviceRecord {
  return { mac, source: 'user', name: `owner ${owner}`, ip: null, model: null, type: null, is_guest: false };
}

/** Works out, from the frames themselves (no reader, no topology code), what every check expects. */
function expectedFrom(frames: readonly SyntheticFrame[]): Expected {
  const byMac = new Map<string, Tally>();
  const watched = new Set(WATCHED_SSIDS);
  let probeRequests = 0;
  let alerts = 0;
  for (const frame of frames) {
    if (frame.kind !== 'probe-request') continue;
    const ssid = probedSsid(frame);
    tally(byMac, frame.sa.toLowerCase(), Number(frame.timeUs / 1000n), ssid);
    probeRequests += 1;
    if (ssid !== null && watched.has(ssid)) alerts += 1;
  }
  const devices = [...byMac.keys()]
    .filter((_mac, i) => i % 2 === 0)
    .map((mac, i) => ownedDevice(mac, i >> 1));
  // A name's stats are its devices' together: counts add up, times widen, SSID sets unite.
  const byName = new Map<string, Tally>();
  let namedProbeRequests = 0;
  for (const { mac, name } of devices) {
    const device = byMac.get(mac) as Tally;
    const found = byName.get(name as string);
    namedProbeRequests += device.count;
    if (found === undefined) {
      byName.set(name as string, { ...device, ssids: new Set(device.ssids) });
      continue;
    }
    found.count += device.count;
    found.first = Math.min(found.first, device.first);
    found.last = Math.max(found.last, device.last);
    for (const ssid of device.ssids) found.ssids.add(ssid);
  }
  return { frames: frames.length, probeRequests, byMac, devices, byName, namedProbeRequests, alerts };
}

/** The length of a pcapng file's section header block and its one interface description block. */
function pcapngPreambleLength(file: Buffer): number {
  const shb = file.readUInt32LE(4);
  return shb + file.readUInt32LE(shb + 4);
}

/**
 * Writes `records` synthetic frames (the same seed every run) to `path` as one pcapng
 * file, a slice at a time (each slice's file without its preamble, after the first), and answers what the
 * capture holds. The frames themselves are let go on return.
 */
async function writeCapture(path: string, records: number): Promise<Expected> {
  // Captured in 2020 (the generator's default): repartition topics must keep records with old event times
  // until they are read (they once lost them to the broker's 7-day retention, which this run would show).
  const frames = syntheticFrames({ seed: SEED, devices: DEVICES, frames: records });
  const handle = await open(path, 'w');
  try {
    for (let from = 0; from < frames.length; from += WRITE_SLICE) {
      const file = writePcapng(frames.slice(from, from + WRITE_SLICE));
      await handle.writeFile(from === 0 ? file : file.subarray(pcapngPreambleLength(file)));
    }
  } finally {
    await handle.close();
  }
  return expectedFrom(frames);
}

/** read-pcap: the native reader alone, record by record, no Kafka. */
async function readPcap(path: string, expected: Expected, fileBytes: number): Promise<void> {
  const reader = readCaptureFile(path);
  const started = performance.now();
  let frames = 0;
  for await (const _record of reader) frames += 1;
  const elapsedMs = performance.now() - started;
  report(BENCH, 'read-pcap', perSecond(frames, elapsedMs), 'frames/s', {
    frames,
    fileMb: mb(fileBytes),
    elapsedMs: Math.round(elapsedMs),
    mbPerSec: Math.round(mb(fileBytes) / (elapsedMs / 1000)),
    skipped: reader.stats.framesSkipped,
  });
  if (frames !== expected.frames || reader.stats.framesSkipped > 0) {
    throw new Error(
      `read-pcap: read ${frames} of ${expected.frames} frames (${reader.stats.framesSkipped} skipped)`,
    );
  }
}

/**
 * Waits until every partition of `topics` answers ListOffsets from its leader. A topic's metadata names its
 * leaders (createTopics' waitForLeaders) a moment before the leaders take requests; a produce request in
 * that moment fails with NOT_LEADER_OR_FOLLOWER, and kafkajs's retry (not idempotent) can write a batch
 * twice.
 */
export async function waitForLeadership(admin: Admin, topics: readonly string[]): Promise<void> {
  await pollUntil(
    `leaders of ${topics.join(', ')}`,
    () =>
      Promise.all(topics.map((topic) => admin.fetchTopicOffsets(topic))).then(
        () => true,
        () => false,
      ),
    (ready) => ready,
    { intervalMs: 100, timeoutMs: 30_000 },
  );
}

/** replay-pcap: file → CaptureProducer → acknowledged by Kafka; answers the pcap topic's end offsets. */
async function replayPcap(
  kafka: Kafka,
  admin: Admin,
  path: string,
  topic: string,
  expected: Expected,
  fileBytes: number,
): Promise<Map<number, bigint>> {
  const producer = new CaptureProducer({ kafka, topic });
  await producer.connect();
  try {
    const cpu = cpuMeter();
    const started = performance.now();
    const source = await openCaptureFile(path);
    const result = await replay(() => source.open(), { producer });
    const elapsedMs = performance.now() - started;
    report(BENCH, 'replay-pcap', perSecond(result.framesRead, elapsedMs), 'frames/s', {
      frames: result.framesRead,
      fileMb: mb(fileBytes),
      format: source.format,
      partitions: PARTITIONS,
      elapsedMs: Math.round(elapsedMs),
      probeRequests: result.probeRequests,
      acknowledged: result.acknowledged,
      ...cpu(),
    });
    if (result.acknowledged !== expected.frames || result.probeRequests !== expected.probeRequests) {
      throw new Error(
        `replay-pcap: ${result.acknowledged} of ${expected.frames} frames acknowledged, ` +
          `${result.probeRequests} of ${expected.probeRequests} probe requests read`,
      );
    }
  } finally {
    await producer.close();
  }
  return producedOffsets(admin, topic, expected.frames);
}

/** Fills the devices and ssid_alert_list tables before the topology starts, so that it joins against all. */
export async function fillTables(
  kafka: Kafka,
  topics: ProbeTopics,
  devices: readonly DeviceRecord[],
  watchedSsids: readonly string[],
): Promise<void> {
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const deviceValues = deviceSerde();
    const alertList = ssidAlertSerde();
    await producer.send({
      topic: topics.devices,
      acks: -1,
      messages: devices.map((device) => ({ key: device.mac, value: deviceValues.serialize(device) })),
    });
    await producer.send({
      topic: topics.ssidAlertList,
      acks: -1,
      messages: watchedSsids.map((ssid) => ({
        key: ssid,
        value: alertList.serialize({ reason: `bench: ${ssid}` }),
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** The probe requests a stats store has counted so far, over every key. */
async function countedProbes(streams: KafkaStreams, store: string): Promise<number> {
  let total = 0;
  for await (const { value } of streams.store<string, ProbeStats>(store).all()) total += value.probeCount;
  return total;
}

/** Records the engine fetched from `topic`; fails fast when the engine failed. */
async function consumedFrom(streams: KafkaStreams, topic: string): Promise<number> {
  if (streams.state === 'ERROR') throw streams.error ?? new Error('the engine failed');
  const { values } = await streams.metrics.recordsConsumed.get();
  return values.reduce((sum, sample) => sum + (sample.labels.topic === topic ? sample.value : 0), 0);
}

/** Whether a store's value says what the frames say: count, first and last probe, SSIDs sorted once each. */
function matches(stats: ProbeStats, expected: Tally): boolean {
  const ssids = stats.ssidsProbed;
  if (stats.probeCount !== expected.count || ssids.length !== expected.ssids.size) return false;
  if (stats.firstProbe !== expected.first || stats.lastProbe !== expected.last) return false;
  return ssids.every(
    (ssid, i) =>
      expected.ssids.has(ssid) && (i === 0 || compareSsids(ssids[i - 1] as string | null, ssid) < 0),
  );
}

/** Checks a stats store key by key against `expected`, reported as `metric` (1 or 0). */
async function checkStore(
  streams: KafkaStreams,
  store: string,
  expected: ReadonlyMap<string, Tally>,
  metric: string,
): Promise<boolean> {
  let keys = 0;
  let mismatched = 0;
  let total = 0;
  let firstMismatch: unknown;
  for await (const { key, value } of streams.store<string, ProbeStats>(store).all()) {
    keys += 1;
    total += value.probeCount;
    const tallied = expected.get(key);
    if (tallied === undefined || !matches(value, tallied)) {
      mismatched += 1;
      firstMismatch ??= {
        key,
        actual: value,
        expected: tallied && { ...tallied, ssids: [...tallied.ssids] },
      };
    }
  }
  mismatched += Math.max(0, expected.size - keys);
  const correct = mismatched === 0;
  report(BENCH, metric, correct ? 1 : 0, 'bool', {
    keys,
    expectedKeys: expected.size,
    mismatchedKeys: mismatched,
    probeRequests: total,
  });
  if (!correct) log(`${metric}: first mismatch ${JSON.stringify(firstMismatch)}`);
  return correct;
}

/** Waits until `groupId` has committed `topic` to its end offsets as they are now; answers those ends. */
async function waitCommitted(
  admin: Admin,
  groupId: string,
  topic: string,
  timeoutMs: number,
): Promise<Map<number, bigint>> {
  const ends = await endOffsets(admin, topic);
  await pollUntil(
    `probe-pipeline: ${topic} not committed to its end`,
    () => uncommittedPartitions(admin, groupId, topic, ends),
    (behind) => behind === 0,
    { intervalMs: 100, timeoutMs },
  );
  return ends;
}

/**
 * probe-pipeline: the full probe topology with LevelDB stores, from `start()` until both stats stores have
 * counted every probe request of the capture (they are read through their caches, so before the commit
 * that writes them). Then, once every sub-topology has committed its input to the end (so that the alerts
 * written are final), checks the stores key by key, the alerts and the dead-letter queue.
 */
async function probePipeline(
  brokers: readonly string[],
  admin: Admin,
  topics: ProbeTopics,
  expected: Expected,
): Promise<boolean> {
  const applicationId = uniqueName('bench-probes');
  const stateDir = await makeStateDir();
  const streams = new KafkaStreams(buildProbeTopology({ topics }), {
    applicationId,
    bootstrapServers: brokers,
    stateDir,
    commitIntervalMs: 1000,
    processingGuarantee: 'at_least_once',
    deserializationExceptionHandler: 'dlq',
    processingExceptionHandler: 'dlq',
  });
  let runningAt: number | undefined;
  const off = streams.onStateChange((next) => {
    if (next === 'RUNNING') runningAt ??= performance.now();
  });
  // Three sub-topologies, two of them behind repartition topics: allow twice a simple pipeline's time.
  const timeoutMs = 2 * timeoutFor(expected.frames);
  let peakRssMb = 0;
  // The capture's frames are gone by now: without them, RSS before the start is what the pipeline adds to.
  gc?.();
  const rssBeforeMb = rssMb();
  try {
    const started = performance.now();
    const cpu = cpuMeter();
    await streams.start();
    // The stores are read only once every frame is in: reading them costs the pipeline nothing before.
    await pollUntil(
      'probe-pipeline: frames consumed',
      () => consumedFrom(streams, topics.pcap),
      (consumed) => consumed >= expected.frames,
      { intervalMs: 50, timeoutMs },
    );
    const doneAt = await pollUntil(
      'probe-pipeline: probe requests counted (pcap-stats, pcap-stats-by-name)',
      async () => {
        peakRssMb = Math.max(peakRssMb, rssMb());
        await consumedFrom(streams, topics.pcap);
        return [
          await countedProbes(streams, STORES.statsByMac),
          await countedProbes(streams, STORES.statsByName),
        ];
      },
      ([byMac, byName]) => byMac === expected.probeRequests && byName === expected.namedProbeRequests,
      { intervalMs: 100, timeoutMs },
    );
    const elapsedMs = doneAt - started;
    const cpuUse = cpu();
    const rss = rssMb();

    // Upstream first: a repartition topic's end is final once the sub-topology writing it has committed.
    await waitCommitted(admin, applicationId, topics.pcap, timeoutMs);
    await waitCommitted(
      admin,
      applicationId,
      `${applicationId}-${REPARTITIONS.byMac}-repartition`,
      timeoutMs,
    );
    for (const name of [REPARTITIONS.byName]) {
      await waitCommitted(admin, applicationId, `${applicationId}-${name}-repartition`, timeoutMs);
    }
    const committedMs = performance.now() - started;

    report(BENCH, 'probe-pipeline', perSecond(expected.frames, elapsedMs), 'events/s', {
      frames: expected.frames,
      probeRequests: expected.probeRequests,
      probeRequestsPerSec: perSecond(expected.probeRequests, elapsedMs),
      devices: expected.devices.length,
      partitions: PARTITIONS,
      store: 'leveldb',
      processingGuarantee: 'at_least_once',
      elapsedMs: Math.round(elapsedMs),
      runningMs: Math.round((runningAt ?? started) - started),
      committedMs: Math.round(committedMs),
      rssMb: rss,
      rssBeforeMb,
      peakRssMb: Math.max(peakRssMb, rss),
      ...cpuUse,
    });

    const byMac = await checkStore(streams, STORES.statsByMac, expected.byMac, 'probe-stats-correct');
    const byName = await checkStore(
      streams,
      STORES.statsByName,
      expected.byName,
      'probe-stats-by-name-correct',
    );
    const alerts = sumOffsets(await endOffsets(admin, topics.alerts));
    const dlq = sumOffsets(await endOffsets(admin, `${applicationId}-dlq`));
    const alertsCorrect = alerts === expected.alerts && dlq === 0;
    report(BENCH, 'alerts-correct', alertsCorrect ? 1 : 0, 'bool', {
      expected: expected.alerts,
      actual: alerts,
      watchedSsids: WATCHED_SSIDS.length,
      deadLetters: dlq,
    });
    return byMac && byName && alertsCorrect;
  } finally {
    off();
    await streams.close();
    const internal = (await admin.listTopics()).filter((topic) => topic.startsWith(`${applicationId}-`));
    await forget(admin, { topics: internal, groups: [applicationId] });
    await removeStateDir(stateDir);
  }
}

async function run({ brokers, records }: SuiteContext): Promise<void> {
  const kafka = benchKafka(brokers, uniqueName('bench-probes-client'));
  const admin = kafka.admin();
  await admin.connect();
  const dir = await makeStateDir();
  const path = join(dir, 'capture.pcapng');
  const topics: ProbeTopics = {
    pcap: uniqueName('bench-pcap'),
    devices: uniqueName('bench-devices'),
    ssidAlertList: uniqueName('bench-ssid-alert-list'),
    alerts: uniqueName('bench-alerts'),
  };
  const made: string[] = [];
  try {
    log(`writing ${records} synthetic frames (${DEVICES} devices) to ${path}`);
    const expected = await writeCapture(path, records);
    const fileBytes = (await stat(path)).size;
    log(
      `${mb(fileBytes)} MB, ${expected.probeRequests} probe requests from ${expected.byMac.size} MACs, ` +
        `${expected.alerts} for watched SSIDs; RSS ${rssMb()} MB`,
    );

    log('read-pcap: the capture file reader alone');
    await readPcap(path, expected, fileBytes);

    made.push(...(await ensureProbeTopics(admin, { partitions: PARTITIONS, topics })));
    await waitForLeadership(admin, [topics.pcap, topics.devices, topics.ssidAlertList]);
    log(`replay-pcap: ${path} → ${topics.pcap} (${PARTITIONS} partitions)`);
    await replayPcap(kafka, admin, path, topics.pcap, expected, fileBytes);

    log(`probe-pipeline: ${expected.devices.length} devices, ${WATCHED_SSIDS.length} watched SSIDs`);
    await fillTables(kafka, topics, expected.devices, WATCHED_SSIDS);
    const correct = await probePipeline(brokers, admin, topics, expected);
    if (!correct) throw new Error('probe-pipeline: the stores or the alerts do not match the capture');
  } finally {
    await forget(admin, { topics: made, groups: [] });
    await admin.disconnect();
    await removeStateDir(dir);
  }
}

export const probesSuite: BenchSuite = {
  name: BENCH,
  description: 'a pcapng file replayed into Kafka, then through the full probe topology (LevelDB stores)',
  run,
};
