import type { Kafka } from 'kafkajs';
import { log, sleep } from '../support.js';
import { lookup } from './http.js';
import type { Instance } from './instances.js';
import type { SentRecord } from './producer.js';
import { answerMatches, type DeviceTruth, SEQ_HEADER, type StatsAnswer, tallyProbe } from './records.js';
import { readTopic } from './topic-reader.js';

/** What the `pcap` topic holds, read back: the truth the stores must match. */
export interface TopicTruth {
  readonly devices: Map<string, DeviceTruth>;
  /** Hostile records in the topic (each must end in the DLQ). */
  readonly hostile: number;
  /** Records in the topic more than once (a producer retry that wrote twice). */
  readonly duplicates: number;
  /** Acknowledged by Kafka, yet not in the topic. */
  readonly acknowledgedMissing: number;
  /** Failed requests whose records are in the topic after all. */
  readonly failedPresent: number;
  readonly complete: boolean;
}

/** Reads `topic` back and counts what is in it, record by record (by the sequence header). */
export async function topicTruth(
  kafka: Kafka,
  topic: string,
  sent: readonly SentRecord[],
): Promise<TopicTruth> {
  const seen = new Uint16Array(sent.length);
  const { complete } = await readTopic(kafka, topic, { readCommitted: false }, (_partition, message) => {
    const seq = Number(message.headers?.[SEQ_HEADER]?.toString());
    if (Number.isInteger(seq) && seq >= 0 && seq < seen.length) seen[seq] = (seen[seq] ?? 0) + 1;
  });
  const devices = new Map<string, DeviceTruth>();
  let hostile = 0;
  let duplicates = 0;
  let acknowledgedMissing = 0;
  let failedPresent = 0;
  sent.forEach((record, seq) => {
    const copies = seen[seq] ?? 0;
    if (copies > 1) duplicates += copies - 1;
    if (record.status === 'acknowledged' && copies === 0) acknowledgedMissing += 1;
    if (record.status === 'failed' && copies > 0) failedPresent += 1;
    for (let i = 0; i < copies; i += 1) {
      if (record.probe) tallyProbe(devices, record.probe);
      if (record.hostile) hostile += 1;
    }
  });
  return { devices, hostile, duplicates, acknowledgedMissing, failedPresent, complete };
}

/** Dead letters of `sourceTopic` in `dlqTopic` (read_committed), each source record once. */
export async function deadLetters(
  kafka: Kafka,
  dlqTopic: string,
  sourceTopic: string,
): Promise<{ distinct: number; records: number; otherSources: number; reasons: Record<string, number> }> {
  const sources = new Set<string>();
  const reasons: Record<string, number> = {};
  let otherSources = 0;
  const { records } = await readTopic(kafka, dlqTopic, { readCommitted: true }, (_partition, message) => {
    const header = (name: string) => message.headers?.[`probestream.${name}`]?.toString();
    if (header('source.topic') !== sourceTopic) {
      otherSources += 1;
      return;
    }
    sources.add(`${header('source.partition')}/${header('source.offset')}`);
    // The reason without the details that differ per record, so that kinds can be counted.
    const reason = (header('error.message') ?? 'no reason').replace(/[:(].*$/s, '').slice(0, 80);
    reasons[reason] = (reasons[reason] ?? 0) + 1;
  });
  return { distinct: sources.size, records, otherSources, reasons };
}

/** The comparison of every device's answer with the truth. */
export interface Comparison {
  readonly devices: number;
  readonly matching: number;
  /** Probe requests the stores miss, over all devices (a missing device misses all of its own). */
  readonly lost: number;
  /** Probe requests counted more than they occur, over all devices. */
  readonly doubleCounted: number;
  /** Devices whose count is right but whose times or SSIDs are not. */
  readonly otherMismatches: number;
  /** Hostile MACs that some store counted. */
  readonly hostileCounted: number;
  /** Lookups that never got a final answer (still 503 or unreachable after the retries). */
  readonly unanswered: number;
  readonly firstMismatch: string | undefined;
  /** Every device whose count differs: the API's count and the truth's. */
  readonly countMismatches: readonly { mac: string; answer: number; truth: number }[];
}

/** Lookups at once while comparing: bounded, so that the API's per-client rate limit is not hit. */
const CONCURRENCY = 6;
const ATTEMPTS = 20;

/**
 * Asks the instances (in turn) for every device of the truth and every hostile MAC, retrying a 503 or an
 * unreachable instance, and compares.
 */
export async function compareAll(
  instances: readonly Instance[],
  truth: TopicTruth,
  hostileMacs: readonly string[],
): Promise<Comparison> {
  const macs = [...truth.devices.keys(), ...hostileMacs];
  const answers = new Map<string, StatsAnswer | null>();
  let unanswered = 0;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < macs.length; i = next++) {
      const mac = macs[i] as string;
      for (let attempt = 0; ; attempt += 1) {
        const up = instances.filter((x) => x.state === 'ready');
        const target = up[(i + attempt) % Math.max(1, up.length)];
        const result = target ? await lookup(target.port, mac) : undefined;
        if (result?.kind === 'answer' && result.status === 200) {
          answers.set(mac, JSON.parse(result.body) as StatsAnswer);
          break;
        }
        if (result?.kind === 'answer' && result.status === 404) {
          answers.set(mac, null);
          break;
        }
        if (attempt + 1 === ATTEMPTS) {
          unanswered += 1;
          break;
        }
        await sleep(500);
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));

  let matching = 0;
  let lost = 0;
  let doubleCounted = 0;
  let otherMismatches = 0;
  let firstMismatch: string | undefined;
  const countMismatches: { mac: string; answer: number; truth: number }[] = [];
  for (const [mac, expected] of truth.devices) {
    if (!answers.has(mac)) continue;
    const answer = answers.get(mac) ?? null;
    const count = answer?.probeCount ?? 0;
    if (answer !== null && answerMatches(answer, expected)) {
      matching += 1;
      continue;
    }
    lost += Math.max(0, expected.probeCount - count);
    doubleCounted += Math.max(0, count - expected.probeCount);
    if (count === expected.probeCount) otherMismatches += 1;
    else countMismatches.push({ mac, answer: count, truth: expected.probeCount });
    firstMismatch ??= JSON.stringify({
      mac,
      answer,
      truth: { ...expected, ssids: [...expected.ssids] },
    });
  }
  const hostileCounted = hostileMacs.filter((mac) => answers.get(mac) != null).length;
  return {
    devices: truth.devices.size,
    matching,
    lost,
    doubleCounted,
    otherMismatches,
    hostileCounted,
    unanswered,
    firstMismatch,
    countMismatches,
  };
}

/**
 * Compares until every device matches, or the answers stop changing once the group has read `pcap` to its
 * end, or `timeoutMs` passes: the instances may still be catching up when the producer stops.
 */
export async function compareWhenSettled(
  instances: readonly Instance[],
  truth: TopicTruth,
  hostileMacs: readonly string[],
  inputRead: () => Promise<boolean>,
  timeoutMs: number,
): Promise<Comparison> {
  const deadline = Date.now() + timeoutMs;
  let previous: string | undefined;
  for (;;) {
    const comparison = await compareAll(instances, truth, hostileMacs);
    const settled = comparison.matching === comparison.devices && comparison.unanswered === 0;
    const same = JSON.stringify(comparison) === previous;
    if (settled || Date.now() > deadline || (same && (await inputRead()))) return comparison;
    log(
      `compare: ${comparison.matching} of ${comparison.devices} devices match ` +
        `(${comparison.lost} missing, ${comparison.doubleCounted} extra, ${comparison.unanswered} unanswered); again in 10 s`,
    );
    previous = JSON.stringify(comparison);
    // Not sooner: every pass asks each instance for a third of the devices, against its per-client limit.
    await sleep(10_000);
  }
}
