import type { RecordHeaders } from '../record.js';

/**
 * Produce requests written by hand: Produce v3 (the oldest version Kafka 4 accepts, and the simplest one
 * without flexible fields) holding one RecordBatch v2 (magic 2, uncompressed) per partition. The whole
 * request is sized first and then written in place into one Buffer: no per-record objects or buffers, no
 * copies as it grows. See https://kafka.apache.org/documentation/#recordbatch for the layout.
 */

/** A record on its way to Kafka, its partition chosen (the engine's ResolvedRecord has this shape). */
export interface ProducedRecord {
  readonly partition: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Epoch milliseconds, as a decimal string. */
  readonly timestamp: string;
  readonly headers?: RecordHeaders | undefined;
}

export interface PartitionBatch {
  readonly partition: number;
  readonly records: readonly ProducedRecord[];
  /** The idempotent producer's sequence of the batch's first record (-1 when not idempotent). */
  readonly baseSequence: number;
}

export interface ProduceRequest {
  readonly transactionalId: string | null;
  readonly acks: number;
  readonly timeoutMs: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly topics: readonly { readonly topic: string; readonly partitions: readonly PartitionBatch[] }[];
}

export interface ProducedPartitionResult {
  readonly topic: string;
  readonly partition: number;
  readonly errorCode: number;
  readonly baseOffset: bigint;
}

const CRC32C_POLYNOMIAL = 0x82f63b78; // Castagnoli, bit-reversed
/**
 * Eight 256-entry tables, one after another: table 0 is the byte-at-a-time one, table k gives a byte's
 * effect k bytes further on, so that the checksum goes eight bytes a step ("slicing-by-8").
 */
const CRC32C_TABLES = buildCrcTables();

function buildCrcTables(): Int32Array {
  const tables = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? (c >>> 1) ^ CRC32C_POLYNOMIAL : c >>> 1;
    tables[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++) {
      const previous = tables[(k - 1) * 256 + n] as number;
      tables[k * 256 + n] = (previous >>> 8) ^ (tables[previous & 0xff] as number);
    }
  }
  return tables;
}

/** CRC-32C (Castagnoli) of bytes[start, end): the checksum of a v2 record batch. */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const t = CRC32C_TABLES;
  let crc = -1;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    const a =
      crc ^
      ((bytes[i] as number) |
        ((bytes[i + 1] as number) << 8) |
        ((bytes[i + 2] as number) << 16) |
        ((bytes[i + 3] as number) << 24));
    crc =
      (t[1792 + (a & 0xff)] as number) ^
      (t[1536 + ((a >>> 8) & 0xff)] as number) ^
      (t[1280 + ((a >>> 16) & 0xff)] as number) ^
      (t[1024 + (a >>> 24)] as number) ^
      (t[768 + (bytes[i + 4] as number)] as number) ^
      (t[512 + (bytes[i + 5] as number)] as number) ^
      (t[256 + (bytes[i + 6] as number)] as number) ^
      (t[bytes[i + 7] as number] as number);
  }
  for (; i < end; i++) crc = (t[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}

/** Bytes of the batch header before the first record. */
export const RECORD_BATCH_HEADER_BYTES = 61;
const MAGIC = 2;
const TRANSACTIONAL_ATTRIBUTE = 0x10;
/** Where the CRC'd part of a batch starts: its attributes, after offset, length, leader epoch, magic, crc. */
const ATTRIBUTES_OFFSET = 21;

/** ZigZag, as Kafka's varints and varlongs are signed: exact for any safe integer. */
function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function uvarintSize(v: number): number {
  let size = 1;
  while (v > 0x7f) {
    v = Math.floor(v / 128);
    size += 1;
  }
  return size;
}

function writeUVarint(buf: Buffer, at: number, v: number): number {
  while (v > 0x7fffffff) {
    buf[at++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  while (v > 0x7f) {
    buf[at++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[at++] = v;
  return at;
}

/** A length-prefixed field's size: the varint of its length (-1 for null) and its bytes. */
function bytesFieldSize(length: number): number {
  return length < 0 ? 1 : uvarintSize(length * 2) + length;
}

function headerValues(value: RecordHeaders[string]): (Buffer | string)[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value as Buffer | string];
}

function lengthOf(data: Buffer | string): number {
  return typeof data === 'string' ? Buffer.byteLength(data) : data.length;
}

function headersSize(headers: RecordHeaders | undefined): number {
  if (headers === undefined) return 1;
  let count = 0;
  let size = 0;
  for (const name in headers) {
    for (const value of headerValues(headers[name])) {
      count += 1;
      size += bytesFieldSize(Buffer.byteLength(name)) + bytesFieldSize(lengthOf(value));
    }
  }
  return uvarintSize(count * 2) + size;
}

function writeBytesField(buf: Buffer, at: number, data: Buffer | string | null): number {
  if (data === null) {
    buf[at] = 1; // zigzag(-1)
    return at + 1;
  }
  if (typeof data === 'string') {
    at = writeUVarint(buf, at, Buffer.byteLength(data) * 2);
    return at + buf.write(data, at);
  }
  at = writeUVarint(buf, at, data.length * 2);
  data.copy(buf, at);
  return at + data.length;
}

function writeHeaders(buf: Buffer, at: number, headers: RecordHeaders | undefined): number {
  if (headers === undefined) {
    buf[at] = 0;
    return at + 1;
  }
  let count = 0;
  for (const name in headers) count += headerValues(headers[name]).length;
  at = writeUVarint(buf, at, count * 2);
  for (const name in headers) {
    for (const value of headerValues(headers[name])) {
      at = writeBytesField(buf, at, name);
      at = writeBytesField(buf, at, value);
    }
  }
  return at;
}

/** What a batch's records need before they are written: timestamps and each record's body size. */
interface BatchPlan {
  readonly batch: PartitionBatch;
  readonly times: Float64Array;
  readonly bodies: Int32Array;
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly bytes: number;
}

function planBatch(batch: PartitionBatch, now: number): BatchPlan {
  const { records } = batch;
  const times = new Float64Array(records.length);
  const bodies = new Int32Array(records.length);
  let first = Infinity;
  let max = -Infinity;
  for (let i = 0; i < records.length; i++) {
    const time = Number((records[i] as ProducedRecord).timestamp);
    const t = Number.isFinite(time) ? time : now;
    times[i] = t;
    if (t < first) first = t;
    if (t > max) max = t;
  }
  let bytes = RECORD_BATCH_HEADER_BYTES;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as ProducedRecord;
    const body =
      1 + // attributes
      uvarintSize(zigzag((times[i] as number) - first)) +
      uvarintSize(i * 2) +
      bytesFieldSize(record.key === null ? -1 : record.key.length) +
      bytesFieldSize(record.value === null ? -1 : record.value.length) +
      headersSize(record.headers);
    bodies[i] = body;
    bytes += uvarintSize(body * 2) + body;
  }
  return { batch, times, bodies, firstTimestamp: first, maxTimestamp: max, bytes };
}

function writeBatch(buf: Buffer, start: number, plan: BatchPlan, request: ProduceRequest): number {
  const { records } = plan.batch;
  buf.writeBigInt64BE(0n, start); // base offset: the broker assigns it
  buf.writeInt32BE(plan.bytes - 12, start + 8);
  buf.writeInt32BE(-1, start + 12); // partition leader epoch: set by the broker
  buf.writeInt8(MAGIC, start + 16);
  buf.writeInt16BE(request.transactionalId === null ? 0 : TRANSACTIONAL_ATTRIBUTE, start + 21);
  buf.writeInt32BE(records.length - 1, start + 23);
  buf.writeBigInt64BE(BigInt(plan.firstTimestamp), start + 27);
  buf.writeBigInt64BE(BigInt(plan.maxTimestamp), start + 35);
  buf.writeBigInt64BE(request.producerId, start + 43);
  buf.writeInt16BE(request.producerEpoch, start + 51);
  buf.writeInt32BE(plan.batch.baseSequence, start + 53);
  buf.writeInt32BE(records.length, start + 57);
  let at = start + RECORD_BATCH_HEADER_BYTES;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as ProducedRecord;
    at = writeUVarint(buf, at, (plan.bodies[i] as number) * 2);
    buf[at++] = 0; // record attributes: none defined
    at = writeUVarint(buf, at, zigzag((plan.times[i] as number) - plan.firstTimestamp));
    at = writeUVarint(buf, at, i * 2);
    at = writeBytesField(buf, at, record.key);
    at = writeBytesField(buf, at, record.value);
    at = writeHeaders(buf, at, record.headers);
  }
  buf.writeUInt32BE(crc32c(buf, start + ATTRIBUTES_OFFSET, at), start + 17);
  return at;
}

/**
 * The body of a Produce v3 request (what follows the request header): transactional id, acks, timeout,
 * then per topic and partition one record batch.
 */
export function encodeProduceRequest(request: ProduceRequest): Buffer {
  const now = Date.now();
  const transactionalId = request.transactionalId;
  let size = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId)) + 2 + 4 + 4;
  const plans = request.topics.map(({ topic, partitions }) => {
    size += 2 + Buffer.byteLength(topic) + 4;
    return partitions.map((batch) => {
      const plan = planBatch(batch, now);
      size += 4 + 4 + plan.bytes;
      return plan;
    });
  });
  const buf = Buffer.allocUnsafe(size);
  let at = 0;
  if (transactionalId === null) {
    at = buf.writeInt16BE(-1, at);
  } else {
    at = buf.writeInt16BE(Buffer.byteLength(transactionalId), at);
    at += buf.write(transactionalId, at);
  }
  at = buf.writeInt16BE(request.acks, at);
  at = buf.writeInt32BE(request.timeoutMs, at);
  at = buf.writeInt32BE(request.topics.length, at);
  request.topics.forEach(({ topic, partitions }, t) => {
    at = buf.writeInt16BE(Buffer.byteLength(topic), at);
    at += buf.write(topic, at);
    at = buf.writeInt32BE(partitions.length, at);
    for (const plan of plans[t] as BatchPlan[]) {
      at = buf.writeInt32BE(plan.batch.partition, at);
      at = buf.writeInt32BE(plan.bytes, at);
      at = writeBatch(buf, at, plan, request);
    }
  });
  return buf;
}

/** Produce Response v3: per topic and partition its error code and base offset, then the throttle time. */
export function decodeProduceResponse(payload: Buffer): ProducedPartitionResult[] {
  const results: ProducedPartitionResult[] = [];
  const topics = payload.readInt32BE(0);
  let at = 4;
  for (let t = 0; t < topics; t++) {
    const length = payload.readInt16BE(at);
    const topic = payload.toString('utf8', at + 2, at + 2 + length);
    at += 2 + length;
    const partitions = payload.readInt32BE(at);
    at += 4;
    for (let p = 0; p < partitions; p++) {
      results.push({
        topic,
        partition: payload.readInt32BE(at),
        errorCode: payload.readInt16BE(at + 4),
        baseOffset: payload.readBigInt64BE(at + 6),
      });
      at += 4 + 2 + 8 + 8; // partition, error code, base offset, log append time
    }
  }
  return results;
}
