/**
 * The CDC's own compacted topic, `<application.id>-cdc-offsets`, and what it holds. Kafka is the only system
 * of record, so the CDC keeps its progress beside its output and writes both in one transaction:
 * - `token:<db>.<collection>` → the collection's change-stream resume token, as canonical EJSON text;
 * - `doc:<db>.<collection>:<_id as canonical EJSON>` → JSON `{mac, record}`, what was last written to
 *   `devices` for that document; a tombstone once it writes nothing (deleted, or no valid MAC any more).
 * A delete event carries only `_id`: the document entry names the MAC to tombstone. A snapshot compares the
 * collection with these entries, so after any restart it writes only what changed.
 */
import type { Admin, Kafka, Message } from 'kafkajs';
import { BSON } from 'mongodb';
import { DEVICE_SCHEMA, type DeviceRecord } from '../probes/schemas.js';
import { PartitionReader } from '../topology/index.js';
import type { CdcState, WrittenDocument } from './cdc-state.js';
import { CaptureError } from './errors.js';

/** The offsets topic of an application id. */
export function cdcOffsetsTopic(applicationId: string): string {
  return `${applicationId}-cdc-offsets`;
}

/** The one partition the offsets are written to: one partition keeps them in a single order. */
export const OFFSETS_PARTITION = 0;

/** Canonical Extended JSON: the same `_id` always gives the same text (an ObjectId is `{"$oid":…}`). */
export function canonicalEjson(value: unknown): string {
  return BSON.EJSON.stringify(value, { relaxed: false });
}

export function tokenKey(namespace: string): string {
  return `token:${namespace}`;
}

export function documentKey(namespace: string, id: unknown): string {
  return `doc:${namespace}:${canonicalEjson(id)}`;
}

export function tokenMessage(namespace: string, token: string): Message {
  return { key: tokenKey(namespace), value: token, partition: OFFSETS_PARTITION };
}

export function documentMessage(key: string, document: WrittenDocument | undefined): Message {
  return {
    key,
    value: document === undefined ? null : JSON.stringify(document),
    partition: OFFSETS_PARTITION,
  };
}

/** A resume token in the form the driver's `resumeAfter` takes, from its stored text. */
export function parseToken(text: string): BSON.Document {
  return BSON.EJSON.parse(text, { relaxed: false }) as BSON.Document;
}

/**
 * Creates the offsets topic when it is missing (compacted, one partition), and checks that the `devices`
 * topic exists: the CDC never creates it, since its partition count must match the topics it is joined with.
 */
export async function prepareCdcTopics(
  admin: Admin,
  devicesTopic: string,
  offsetsTopic: string,
): Promise<void> {
  const existing = new Set(await admin.listTopics());
  if (!existing.has(devicesTopic)) {
    throw new CaptureError(
      'CDC_TOPIC_MISSING',
      `topic ${devicesTopic} does not exist: create it (compacted, as many partitions as the probes topic) first`,
    );
  }
  if (existing.has(offsetsTopic)) return;
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: offsetsTopic,
          numPartitions: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
    });
  } catch (error) {
    // Another instance may have created it in the meantime; only a topic still missing is a failure.
    if (!(await admin.listTopics()).includes(offsetsTopic)) throw error;
  }
}

/**
 * Reads the offsets topic from its start to its end into `state`, with read_committed isolation: a
 * transaction that a crash left open or aborted contributes nothing. Call it after the CDC's transactional
 * producer has been initialised, which fences its predecessor and aborts that one's open transaction, so that
 * the end is not held back by it. Resolves with the number of records read.
 */
export async function readCdcOffsets(kafka: Kafka, topic: string, state: CdcState): Promise<number> {
  const reader = new PartitionReader(kafka, { isolation: 'read_committed' });
  let count = 0;
  await reader.connect();
  try {
    const start = await reader.startOffset(topic, OFFSETS_PARTITION);
    const end = await reader.endOffset(topic, OFFSETS_PARTITION);
    await reader.read(topic, OFFSETS_PARTITION, start, end, (records) => {
      for (const record of records) {
        loadRecord(state, topic, record.offset, record.key, record.value);
        count += 1;
      }
    });
  } finally {
    await reader.disconnect();
  }
  return count;
}

function loadRecord(
  state: CdcState,
  topic: string,
  offset: string,
  keyBytes: Buffer | null,
  value: Buffer | null,
): void {
  const corrupt = (why: string, cause?: unknown) =>
    new CaptureError('CDC_OFFSETS_CORRUPT', `${topic} offset ${offset}: ${why}`, { cause });
  const key = keyBytes?.toString('utf8');
  if (key?.startsWith('token:')) {
    const token = value?.toString('utf8');
    if (token !== undefined) {
      try {
        parseToken(token);
      } catch (error) {
        throw corrupt('the resume token is not Extended JSON', error);
      }
    }
    state.loadToken(key.slice('token:'.length), token);
  } else if (key?.startsWith('doc:')) {
    if (value === null) {
      state.load(key, undefined);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(value.toString('utf8'));
    } catch (error) {
      throw corrupt(`the entry of ${key} is not JSON`, error);
    }
    const document = asWrittenDocument(parsed);
    if (document === undefined)
      throw corrupt(`the entry of ${key} is not {mac, record} with a devices record`);
    state.load(key, document);
  } else {
    throw corrupt(`unexpected key ${JSON.stringify(key ?? null)}`);
  }
}

const STRING_FIELDS = DEVICE_SCHEMA.fields.filter((field) => field.type !== 'boolean').map((f) => f.name);

function asWrittenDocument(value: unknown): WrittenDocument | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { mac, record } = value as { mac?: unknown; record?: Record<string, unknown> };
  if (typeof mac !== 'string' || typeof record !== 'object' || record === null) return undefined;
  if (record.mac !== mac || (record.source !== 'device' && record.source !== 'user')) return undefined;
  if (typeof record.is_guest !== 'boolean') return undefined;
  for (const field of STRING_FIELDS) {
    const fieldValue = record[field];
    if (field !== 'mac' && field !== 'source' && fieldValue !== null && typeof fieldValue !== 'string') {
      return undefined;
    }
  }
  const device: DeviceRecord = {
    mac,
    source: record.source,
    name: (record.name as string | null | undefined) ?? null,
    ip: (record.ip as string | null | undefined) ?? null,
    model: (record.model as string | null | undefined) ?? null,
    type: (record.type as string | null | undefined) ?? null,
    is_guest: record.is_guest,
  };
  return { mac, record: device };
}
