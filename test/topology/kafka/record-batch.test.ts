import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import {
  crc32c,
  decodeProduceResponse,
  encodeProduceRequest,
  type ProducedRecord,
  type ProduceRequest,
} from '../../../src/topology/kafka/record-batch.js';

interface KafkajsDecoder {
  readInt16(): number;
  readInt32(): number;
  readString(): string;
  readBytes(length: number): Buffer;
}
interface DecodedBatch {
  firstTimestamp: string;
  maxTimestamp: string;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  inTransaction: boolean;
  lastOffsetDelta: number;
  records: {
    offset: string;
    key: Buffer | null;
    value: Buffer | null;
    timestamp: string;
    headers: Record<string, Buffer | Buffer[]>;
  }[];
}

const require = createRequire(import.meta.url);
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => KafkajsDecoder;
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (
  decoder: KafkajsDecoder,
) => Promise<DecodedBatch>;
const kafkajsProduceV3 = require('kafkajs/src/protocol/requests/produce/v3/request.js') as (
  request: unknown,
) => { encode(): Promise<{ buffer: Buffer }> };

/** Reads a Produce v3 request body back with kafkajs's decoders: per topic and partition, its batch. */
async function decodeRequest(body: Buffer) {
  const decoder = new Decoder(body);
  const idLength = decoder.readInt16();
  const transactionalId = idLength < 0 ? null : decoder.readBytes(idLength).toString();
  const acks = decoder.readInt16();
  const timeout = decoder.readInt32();
  const topics: {
    topic: string;
    partition: number;
    batch: DecodedBatch;
    crcOk: boolean;
    bytes: Buffer;
  }[] = [];
  for (let t = decoder.readInt32(); t > 0; t--) {
    const topic = decoder.readString();
    for (let p = decoder.readInt32(); p > 0; p--) {
      const partition = decoder.readInt32();
      const bytes = decoder.readBytes(decoder.readInt32());
      const crcOk = bytes.readUInt32BE(17) === crc32c(bytes, 21);
      topics.push({ topic, partition, batch: await decodeBatch(new Decoder(bytes)), crcOk, bytes });
    }
  }
  return { transactionalId, acks, timeout, topics };
}

const rec = (
  partition: number,
  key: string | null,
  value: string | null,
  timestamp: number,
  headers?: ProducedRecord['headers'],
): ProducedRecord => ({
  partition,
  key: key === null ? null : Buffer.from(key),
  value: value === null ? null : Buffer.from(value),
  timestamp: String(timestamp),
  ...(headers ? { headers } : {}),
});

const request = (records: ProducedRecord[], transactionalId: string | null = null): ProduceRequest => ({
  transactionalId,
  acks: -1,
  timeoutMs: 30_000,
  producerId: 4242n,
  producerEpoch: 3,
  topics: [{ topic: 'tëst', partitions: [{ partition: 2, records, baseSequence: 17 }] }],
});

/** CRC-32C straight from its definition, a bit at a time. */
function bytewiseCrc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it('gives the Castagnoli checksums of known vectors (RFC 3720, B.4)', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32c(Buffer.alloc(32))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.alloc(0))).toBe(0);
    // Every length and alignment against the byte-at-a-time definition.
    const bytes = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 131 + 7) & 0xff));
    for (let start = 0; start < 9; start++) {
      for (let end = start; end <= bytes.length; end += 13) {
        expect(crc32c(bytes, start, end)).toBe(bytewiseCrc32c(bytes.subarray(start, end)));
      }
    }
  });
});

describe('encodeProduceRequest', () => {
  it('writes records that kafkajs reads back: keys, values, null ones, headers, timestamps', async () => {
    const records = [
      rec(2, 'a', 'one', 1_700_000_000_500, { trace: 'x', multi: [Buffer.from('m1'), 'm2'] }),
      rec(2, null, 'two', 1_700_000_000_000),
      rec(2, 'c', null, 1_700_000_009_999, { empty: '' }),
      rec(2, 'é'.repeat(100), 'v'.repeat(300), 1_700_000_000_001),
    ];
    const decoded = await decodeRequest(encodeProduceRequest(request(records)));
    expect(decoded).toMatchObject({ transactionalId: null, acks: -1, timeout: 30_000 });
    const [only] = decoded.topics;
    expect(decoded.topics).toHaveLength(1);
    expect(only).toMatchObject({ topic: 'tëst', partition: 2, crcOk: true });
    const batch = only?.batch as DecodedBatch;
    expect(batch).toMatchObject({
      firstTimestamp: '1700000000000',
      maxTimestamp: '1700000009999',
      producerId: '4242',
      producerEpoch: 3,
      firstSequence: 17,
      inTransaction: false,
      lastOffsetDelta: 3,
    });
    expect(
      batch.records.map((r) => ({
        offset: r.offset,
        key: r.key?.toString() ?? null,
        value: r.value?.toString() ?? null,
        timestamp: r.timestamp,
        headers: Object.fromEntries(
          Object.entries(r.headers).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]),
        ),
      })),
    ).toEqual([
      {
        offset: '0',
        key: 'a',
        value: 'one',
        timestamp: '1700000000500',
        headers: { trace: 'x', multi: ['m1', 'm2'] },
      },
      { offset: '1', key: null, value: 'two', timestamp: '1700000000000', headers: {} },
      { offset: '2', key: 'c', value: null, timestamp: '1700000009999', headers: { empty: '' } },
      { offset: '3', key: 'é'.repeat(100), value: 'v'.repeat(300), timestamp: '1700000000001', headers: {} },
    ]);
  });

  it('is byte for byte what kafkajs writes for the same batches, transactional or not', async () => {
    // Timestamps of one width: kafkajs sorts them as strings to find the first and the largest.
    const records = [
      rec(0, 'k', 'v', 1_700_000_001_000),
      rec(0, null, 'w', 1_700_000_000_900, { h: 'x' }),
      rec(0, 'z', null, 1_700_005_000_000),
    ];
    for (const transactionalId of [null, 'app-0_1']) {
      const ours = encodeProduceRequest({
        ...request(records, transactionalId),
        topics: [
          { topic: 't1', partitions: [{ partition: 0, records, baseSequence: 5 }] },
          {
            topic: 't2',
            partitions: [
              { partition: 1, records: records.slice(1), baseSequence: 0 },
              { partition: 3, records: records.slice(0, 1), baseSequence: 9 },
            ],
          },
        ],
      });
      const theirs = await kafkajsProduceV3({
        acks: -1,
        timeout: 30_000,
        transactionalId,
        producerId: 4242,
        producerEpoch: 3,
        topicData: [
          { topic: 't1', partitions: [{ partition: 0, firstSequence: 5, messages: records }] },
          {
            topic: 't2',
            partitions: [
              { partition: 1, firstSequence: 0, messages: records.slice(1) },
              { partition: 3, firstSequence: 9, messages: records.slice(0, 1) },
            ],
          },
        ],
      }).encode();
      const decoded = await decodeRequest(ours);
      // The one difference: the partition leader epoch, which the broker sets. kafkajs sends 0; we send -1,
      // "unknown", as the Java producer does.
      const copy = Buffer.from(ours);
      for (const { bytes } of (await decodeRequest(copy)).topics) {
        expect(bytes.readInt32BE(12)).toBe(-1);
        bytes.writeInt32BE(0, 12);
      }
      expect(copy.equals(theirs.buffer)).toBe(true);
      expect(decoded.transactionalId).toBe(transactionalId);
      expect(decoded.topics.map((t) => [t.topic, t.partition, t.batch.inTransaction, t.crcOk])).toEqual([
        ['t1', 0, transactionalId !== null, true],
        ['t2', 1, transactionalId !== null, true],
        ['t2', 3, transactionalId !== null, true],
      ]);
    }
  });

  it('writes timestamp deltas of any size and varints past 2^31', async () => {
    const records = [rec(0, 'a', 'x', 0), rec(0, 'b', 'y', 4_102_444_800_000)];
    const [only] = (await decodeRequest(encodeProduceRequest(request(records)))).topics;
    expect(only?.batch.records.map((r) => r.timestamp)).toEqual(['0', '4102444800000']);
  });
});

describe('decodeProduceResponse', () => {
  it('reads each partition’s error code and base offset', () => {
    const topic = Buffer.from('t');
    const body = Buffer.alloc(4 + 2 + 1 + 4 + 2 * 22 + 4);
    let at = body.writeInt32BE(1, 0);
    at = body.writeInt16BE(1, at);
    at += topic.copy(body, at);
    at = body.writeInt32BE(2, at);
    for (const [partition, code, offset] of [
      [0, 0, 12345678901n],
      [4, 6, -1n],
    ] as const) {
      at = body.writeInt32BE(partition, at);
      at = body.writeInt16BE(code, at);
      at = body.writeBigInt64BE(offset, at);
      at = body.writeBigInt64BE(-1n, at);
    }
    body.writeInt32BE(0, at);
    expect(decodeProduceResponse(body)).toEqual([
      { topic: 't', partition: 0, errorCode: 0, baseOffset: 12345678901n },
      { topic: 't', partition: 4, errorCode: 6, baseOffset: -1n },
    ]);
  });
});
