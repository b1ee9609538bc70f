import { performance } from 'node:perf_hooks';
import type { Admin } from 'kafkajs';
import {
  KafkaStreams,
  type ProcessingGuarantee,
  Serdes,
  StreamsBuilder,
  type Topology,
} from '../src/topology/index.js';
import { isProbeRequest, PARTITIONS, type PcapFrame, type PcapRecords } from './pcap.js';
import {
  type CpuUse,
  counterTotal,
  cpuMeter,
  forget,
  internalTopics,
  makeStateDir,
  perSecond,
  pollUntil,
  removeStateDir,
  report,
  sumOffsets,
  timeoutFor,
  uncommittedPartitions,
  uniqueName,
} from './support.js';

/**
 * The count pipeline the suites measure: probe requests per MAC (filter + groupByKey + count), from
 * `start()` until every record has gone through it, and whether the store then holds the right counts.
 */

export const COUNT_STORE = 'bench-counts';

/** Where the count keeps its store: in memory, or in LevelDB under the instance's state directory. */
export function countTopology(topic: string, persistent: boolean): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream<string, PcapFrame>(topic, { keySerde: Serdes.String(), valueSerde: Serdes.Json<PcapFrame>() })
    .filter((_mac, frame) => isProbeRequest(frame))
    .groupByKey()
    .count({ storeName: COUNT_STORE, persistent });
  return builder.build();
}

/** When a run's milestones came, in ms since `start()` was called. */
export interface RunTimes {
  /** State RUNNING: tasks assigned and their stores restored. */
  readonly runningMs: number;
  /** The records-consumed metric reached the end offsets: every record went through the topology. */
  readonly consumedMs: number;
  /** The committed offsets reached the end offsets (up to one commit interval after consumedMs). */
  readonly committedMs: number;
  /** CPU use from start() until consumedMs. */
  readonly cpu: CpuUse;
}

/**
 * Starts `streams` and waits until it has consumed, then committed, everything up to `ends` of `topic`.
 * Leaves it running. The rate's end point is the records-consumed metric, which rises after a batch is
 * processed: the same end point as a bare consumer's.
 */
export async function runToEnd(
  streams: KafkaStreams,
  admin: Admin,
  topic: string,
  ends: ReadonlyMap<number, bigint>,
  what: string,
): Promise<RunTimes> {
  const records = sumOffsets(ends);
  let runningAt: number | undefined;
  const off = streams.onStateChange((next) => {
    if (next === 'RUNNING') runningAt ??= performance.now();
  });
  const timeoutMs = timeoutFor(records);
  const started = performance.now();
  const cpu = cpuMeter();
  try {
    await streams.start();
    const consumedAt = await pollUntil(
      `${what}: records consumed`,
      () => counterTotal(streams, 'recordsConsumed'),
      (consumed) => consumed >= records,
      { intervalMs: 50, timeoutMs },
    );
    const cpuUse = cpu();
    const committedAt = await pollUntil(
      `${what}: partitions not committed to their end`,
      () => uncommittedPartitions(admin, streams.config.applicationId, topic, ends),
      (behind) => behind === 0,
      { intervalMs: 100, timeoutMs },
    );
    return {
      runningMs: (runningAt ?? started) - started,
      consumedMs: consumedAt - started,
      committedMs: committedAt - started,
      cpu: cpuUse,
    };
  } finally {
    off();
  }
}

export interface CountRun {
  readonly bench: string;
  /** The rate's metric name, and the name of its correctness figure. */
  readonly metric: string;
  readonly correctMetric: string;
  readonly brokers: readonly string[];
  readonly admin: Admin;
  readonly topic: string;
  readonly ends: ReadonlyMap<number, bigint>;
  readonly expected: PcapRecords;
  readonly persistent: boolean;
  readonly processingGuarantee: ProcessingGuarantee;
  /** A floor for the rate, reported with it as `target` and `met`. */
  readonly target?: number;
}

export interface CountOutcome {
  readonly rate: number;
  readonly correct: boolean;
}

/**
 * One count run, as its own application (a fresh application id, group and state directory, all removed
 * afterwards): reports the rate from `start()` until every record went through the topology, with when the
 * commit of the last offsets landed as extra fields, then checks the store MAC by MAC.
 */
export async function runCount(run: CountRun): Promise<CountOutcome> {
  const records = sumOffsets(run.ends);
  const applicationId = uniqueName(`bench-${run.metric}`);
  const stateDir = await makeStateDir();
  const streams = new KafkaStreams(countTopology(run.topic, run.persistent), {
    applicationId,
    bootstrapServers: run.brokers,
    stateDir,
    commitIntervalMs: 1000,
    processingGuarantee: run.processingGuarantee,
  });
  try {
    const times = await runToEnd(streams, run.admin, run.topic, run.ends, run.metric);
    const rate = perSecond(records, times.consumedMs);
    report(run.bench, run.metric, rate, 'events/s', {
      records,
      partitions: PARTITIONS,
      store: run.persistent ? 'leveldb' : 'in-memory',
      processingGuarantee: run.processingGuarantee,
      elapsedMs: Math.round(times.consumedMs),
      runningMs: Math.round(times.runningMs),
      committedMs: Math.round(times.committedMs),
      committedEventsPerSec: perSecond(records, times.committedMs),
      commits: await counterTotal(streams, 'commits'),
      ...times.cpu,
      ...(run.target === undefined ? {} : { target: run.target, met: rate >= run.target }),
    });
    return { rate, correct: await checkCounts(run, streams) };
  } finally {
    await streams.close();
    await forget(run.admin, {
      topics: internalTopics(applicationId, [COUNT_STORE]),
      groups: [applicationId],
    });
    await removeStateDir(stateDir);
  }
}

/** The counts in the store add up to the probe requests produced, and match MAC by MAC. */
async function checkCounts(run: CountRun, streams: KafkaStreams): Promise<boolean> {
  const { expected } = run;
  let total = 0;
  let keys = 0;
  let mismatched = 0;
  for await (const { key, value } of streams.store<string, number>(COUNT_STORE).all()) {
    total += value;
    keys += 1;
    if (expected.probesByMac.get(key) !== value) mismatched += 1;
  }
  mismatched += Math.max(0, expected.probesByMac.size - keys);
  const correct = total === expected.probes && mismatched === 0;
  report(run.bench, run.correctMetric, correct ? 1 : 0, 'bool', {
    expected: expected.probes,
    actual: total,
    keys,
    expectedKeys: expected.probesByMac.size,
    mismatchedKeys: mismatched,
  });
  return correct;
}
