import kafkajs, { type Admin, type Kafka } from 'kafkajs';
import type { RecordHeaders } from '../record.js';

/**
 * What a broker takes when a topic sets no `max.message.bytes` of its own: its `message.max.bytes` default
 * (1 MiB plus the 12 bytes of log overhead). A record batch larger than this is refused whole.
 */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * Bytes of a record batch that are not its records: the v2 batch header (61) and the log overhead the
 * broker counts against `max.message.bytes` (offset and size, 12), rounded up.
 */
export const BATCH_OVERHEAD_BYTES = 80;

/** The parts of a record that its encoded size depends on (kafkajs's message shape). */
export interface SizedRecord {
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: RecordHeaders | Readonly<Record<string, unknown>>;
}

function byteLength(data: unknown): number {
  if (data === null || data === undefined) return 0;
  if (Buffer.isBuffer(data)) return data.length;
  return Buffer.byteLength(String(data));
}

/**
 * An upper bound of a record's size in a v2 record batch, uncompressed: every varint counted at its widest
 * (length, attributes, timestamp and offset deltas, key and value lengths, header count and lengths). Cheap
 * enough to compute for every record; a batch whose records' bounds fit a limit fits it.
 */
export function recordSizeBound(record: SizedRecord): number {
  let size = 5 + 1 + 10 + 5 + 5 + byteLength(record.key) + 5 + byteLength(record.value) + 5;
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    for (const one of values) size += 5 + Buffer.byteLength(name) + 5 + byteLength(one);
  }
  return size;
}

/** The largest record bound that fits alone in a batch for a topic that takes `maxMessageBytes`. */
export function maxRecordBytes(maxMessageBytes: number): number {
  return maxMessageBytes - BATCH_OVERHEAD_BYTES;
}

/**
 * Each topic's `max.message.bytes`, as the broker applies it (the topic's own setting, else the broker's
 * default). A topic the broker does not describe gets DEFAULT_MAX_MESSAGE_BYTES.
 */
export async function fetchMaxMessageBytes(
  admin: Admin,
  topics: readonly string[],
): Promise<Map<string, number>> {
  const limits = new Map<string, number>();
  if (topics.length === 0) return limits;
  // Through the default export: Node's ESM loader does not see this CommonJS export by name (vitest does).
  const { ConfigResourceTypes } = kafkajs;
  const described = await admin.describeConfigs({
    includeSynonyms: false,
    resources: topics.map((name) => ({
      type: ConfigResourceTypes.TOPIC,
      name,
      configNames: ['max.message.bytes'],
    })),
  });
  for (const resource of described.resources) {
    const entry = resource.configEntries.find((e) => e.configName === 'max.message.bytes');
    const value = Number(entry?.configValue);
    if (Number.isInteger(value) && value > BATCH_OVERHEAD_BYTES) limits.set(resource.resourceName, value);
  }
  for (const topic of topics) if (!limits.has(topic)) limits.set(topic, DEFAULT_MAX_MESSAGE_BYTES);
  return limits;
}

/**
 * One topic's `max.message.bytes`, asked on a short-lived admin client, for a producer that writes to a
 * known topic. DEFAULT_MAX_MESSAGE_BYTES when the broker cannot tell (the topic is missing, no describe
 * right): a request the topic then refuses fails as it would have. Not retried for long, so that a
 * missing topic does not hold up the producer's start.
 */
export async function topicMaxMessageBytes(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin({ retry: { retries: 1, initialRetryTime: 100 } });
  try {
    await admin.connect();
    return (await fetchMaxMessageBytes(admin, [topic])).get(topic) ?? DEFAULT_MAX_MESSAGE_BYTES;
  } catch {
    return DEFAULT_MAX_MESSAGE_BYTES;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Limits for one produce request, as the Java producer's `max.request.size` and a topic's batch limit. */
export interface RequestLimits {
  /** Records per request. */
  readonly maxRecords: number;
  /** Bytes (record bounds summed) per request, over all partitions. */
  readonly maxRequestBytes: number;
  /** `max.message.bytes` of a topic: what one partition's batch may hold. */
  maxMessageBytes(topic: string): number;
}

/**
 * Splits records (in order) into requests that stay within `limits`: no request holds more than
 * `maxRecords` records or `maxRequestBytes` bytes, and no partition's share of one more than its topic's
 * batch limit. Order within a partition is kept. A record too large to fit any request goes alone in one,
 * where the broker will refuse it: callers check sizes first and keep such records out.
 */
export function* boundedRequests<R extends SizedRecord>(
  byTopic: Iterable<readonly [string, readonly R[]]>,
  limits: RequestLimits,
  partitionOf: (record: R) => number | undefined,
  sizeOf: (record: R) => number = recordSizeBound,
): Generator<{ topic: string; messages: R[] }[]> {
  let request: { topic: string; messages: R[] }[] = [];
  let count = 0;
  let bytes = 0;
  // Bytes in the request so far per topic and partition (-1: none chosen); no string key per record.
  let perPartition = new Map<string, Map<number, number>>();
  for (const [topic, records] of byTopic) {
    const batchLimit = maxRecordBytes(limits.maxMessageBytes(topic));
    let current: R[] | undefined;
    let sizes = perPartition.get(topic);
    for (const record of records) {
      const size = sizeOf(record);
      const partition = partitionOf(record) ?? -1;
      const inPartition = sizes?.get(partition) ?? 0;
      const full =
        count >= limits.maxRecords ||
        bytes + size > limits.maxRequestBytes ||
        inPartition + size > batchLimit;
      if (full && count > 0) {
        yield request;
        request = [];
        count = 0;
        bytes = 0;
        perPartition = new Map();
        sizes = undefined;
        current = undefined;
      }
      if (!current) {
        current = [];
        request.push({ topic, messages: current });
      }
      current.push(record);
      count += 1;
      bytes += size;
      if (!sizes) {
        sizes = new Map();
        perPartition.set(topic, sizes);
      }
      sizes.set(partition, (sizes.get(partition) ?? 0) + size);
    }
  }
  if (count > 0) yield request;
}
