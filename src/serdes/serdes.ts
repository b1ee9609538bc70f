import type { Type } from 'avsc';
import avro from 'avsc';
import { SerdeError } from './serde-error.js';

/**
 * Turns values of one type into bytes and back. The engine never passes null/undefined to a serde: a null
 * Kafka key or value (a tombstone) is handled before the serde is called.
 */
export interface Serde<T> {
  /** Throws SerdeError (code SERDE_SERIALIZATION_FAILED) on a value it cannot write. */
  serialize(value: T, topic?: string): Buffer;
  /**
   * Throws SerdeError (code SERDE_DESERIALIZATION_FAILED) on bytes it cannot read; the engine sends such
   * records to the dead-letter queue.
   */
  deserialize(data: Buffer, topic?: string): T;
}

/** An Avro serde keeps its avsc type, so that others can reuse the schema (to register or resolve it). */
export interface AvroSerde<T> extends Serde<T> {
  readonly type: Type;
}

/** What `Serdes.Avro` accepts: an Avro schema (object, array or type name), or an avsc Type. */
export type AvroSchema = Parameters<typeof avro.Type.forSchema>[0];

// One decoder for every call: decode() without { stream: true } keeps no state between calls. fatal makes
// invalid UTF-8 throw instead of becoming U+FFFD; ignoreBOM keeps a leading U+FEFF so strings round-trip.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const TWO_POW_32 = 2 ** 32;

function forTopic(topic: string | undefined): string {
  return topic === undefined ? '' : ` for topic ${topic}`;
}

function fromTopic(topic: string | undefined): string {
  return topic === undefined ? '' : ` from topic ${topic}`;
}

function cannotSerialize(
  what: string,
  topic: string | undefined,
  reason: string,
  cause?: unknown,
): SerdeError {
  const message = `Cannot serialize ${what}${forTopic(topic)}: ${reason}`;
  return new SerdeError('SERDE_SERIALIZATION_FAILED', message, cause === undefined ? undefined : { cause });
}

function cannotDeserialize(
  what: string,
  topic: string | undefined,
  reason: string,
  cause?: unknown,
): SerdeError {
  const message = `Cannot deserialize ${what}${fromTopic(topic)}: ${reason}`;
  return new SerdeError('SERDE_DESERIALIZATION_FAILED', message, cause === undefined ? undefined : { cause });
}

function decodeUtf8(what: string, data: Buffer, topic: string | undefined): string {
  try {
    return utf8.decode(data);
  } catch (error) {
    throw cannotDeserialize(what, topic, 'the bytes are not valid UTF-8', error);
  }
}

function checkLength(what: string, data: Buffer, topic: string | undefined): void {
  if (data.length !== 8) throw cannotDeserialize(what, topic, `expected 8 bytes, got ${data.length}`);
}

const stringSerde: Serde<string> = Object.freeze({
  serialize(value: string, topic?: string): Buffer {
    if (typeof value !== 'string') throw cannotSerialize('a string', topic, `got a ${typeof value}`);
    return Buffer.from(value, 'utf8');
  },
  deserialize(data: Buffer, topic?: string): string {
    return decodeUtf8('a string', data, topic);
  },
});

const jsonSerde: Serde<unknown> = Object.freeze({
  serialize(value: unknown, topic?: string): Buffer {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (error) {
      // A bigint, a cycle, or a toJSON that threw.
      throw cannotSerialize('JSON', topic, 'the value has no JSON form', error);
    }
    // undefined, a function or a symbol: JSON.stringify answers undefined rather than throwing.
    if (text === undefined) throw cannotSerialize('JSON', topic, `a ${typeof value} has no JSON form`);
    return Buffer.from(text, 'utf8');
  },
  deserialize(data: Buffer, topic?: string): unknown {
    const text = decodeUtf8('JSON', data, topic);
    try {
      return JSON.parse(text);
    } catch (error) {
      // The parser's message quotes the input; it stays in `cause`, out of the message.
      throw cannotDeserialize('JSON', topic, 'the bytes are not valid JSON', error);
    }
  },
});

const bufferSerde: Serde<Buffer> = Object.freeze({
  serialize(value: Buffer, topic?: string): Buffer {
    if (!Buffer.isBuffer(value)) throw cannotSerialize('a Buffer', topic, `got a ${typeof value}`);
    return value;
  },
  /** Answers the bytes as given, not a copy. */
  deserialize(data: Buffer): Buffer {
    return data;
  },
});

const numberSerde: Serde<number> = Object.freeze({
  serialize(value: number, topic?: string): Buffer {
    if (typeof value !== 'number') throw cannotSerialize('a double', topic, `got a ${typeof value}`);
    const bytes = Buffer.allocUnsafe(8);
    bytes.writeDoubleBE(value, 0);
    return bytes;
  },
  deserialize(data: Buffer, topic?: string): number {
    checkLength('a double', data, topic);
    return data.readDoubleBE(0);
  },
});

// Two 32-bit halves rather than BigInt, to avoid allocating a bigint per call.
const longSerde: Serde<number> = Object.freeze({
  serialize(value: number, topic?: string): Buffer {
    if (!Number.isSafeInteger(value)) {
      throw cannotSerialize('a long', topic, `${String(value)} is not a safe integer`);
    }
    const high = Math.floor(value / TWO_POW_32);
    const bytes = Buffer.allocUnsafe(8);
    bytes.writeInt32BE(high, 0);
    bytes.writeUInt32BE(value - high * TWO_POW_32, 4);
    return bytes;
  },
  deserialize(data: Buffer, topic?: string): number {
    checkLength('a long', data, topic);
    // Rounding is monotonic, so a value beyond the safe range can never round back into it.
    const value = data.readInt32BE(0) * TWO_POW_32 + data.readUInt32BE(4);
    if (!Number.isSafeInteger(value)) {
      throw cannotDeserialize('a long', topic, `${data.readBigInt64BE(0)} is outside the safe integer range`);
    }
    return value;
  },
});

const int64Serde: Serde<bigint> = Object.freeze({
  serialize(value: bigint, topic?: string): Buffer {
    if (typeof value !== 'bigint') throw cannotSerialize('an int64', topic, `got a ${typeof value}`);
    const bytes = Buffer.allocUnsafe(8);
    try {
      bytes.writeBigInt64BE(value, 0);
    } catch (error) {
      throw cannotSerialize('an int64', topic, `${value} does not fit in 64 signed bits`, error);
    }
    return bytes;
  },
  deserialize(data: Buffer, topic?: string): bigint {
    checkLength('an int64', data, topic);
    return data.readBigInt64BE(0);
  },
});

function describeAvroType(type: Type): string {
  return type.name ?? JSON.stringify(type.schema());
}

/** Names each bad field ("name is not a valid ["null","string"]"), or answers undefined if avsc finds none. */
function invalidAvroFields(type: Type, value: unknown): string | undefined {
  const problems: string[] = [];
  type.isValid(value, {
    errorHook(path, _value, fieldType) {
      const where = path.length === 0 ? 'the value' : path.join('.');
      problems.push(`${where} is not a valid ${describeAvroType(fieldType)}`);
    },
  });
  return problems.length === 0 ? undefined : problems.join('; ');
}

function avroSerde<T>(schema: AvroSchema): AvroSerde<T> {
  if (schema === undefined || schema === null) {
    throw new TypeError('Serdes.Avro needs an Avro schema or an avsc Type');
  }
  let type: Type;
  try {
    type = avro.Type.isType(schema) ? (schema as Type) : avro.Type.forSchema(schema);
  } catch (error) {
    throw new TypeError(`Serdes.Avro was given an invalid Avro schema: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const what = `a value with Avro schema ${describeAvroType(type)}`;
  return Object.freeze({
    type,
    serialize(value: T, topic?: string): Buffer {
      try {
        return type.toBuffer(value);
      } catch (error) {
        // Only on failure: isValid walks the value again to say which fields are wrong.
        const reason = invalidAvroFields(type, value) ?? 'the value does not match the schema';
        throw cannotSerialize(what, topic, reason, error);
      }
    },
    deserialize(data: Buffer, topic?: string): T {
      try {
        return type.fromBuffer(data) as T;
      } catch (error) {
        throw cannotDeserialize(what, topic, 'the bytes are not a valid encoding of it', error);
      }
    },
  });
}

function userSerde<T>(
  serialize: (value: T, topic?: string) => Buffer,
  deserialize: (data: Buffer, topic?: string) => T,
): Serde<T> {
  if (typeof serialize !== 'function' || typeof deserialize !== 'function') {
    throw new TypeError('Serdes.from needs a serialize and a deserialize function');
  }
  return Object.freeze({
    serialize(value: T, topic?: string): Buffer {
      try {
        return serialize(value, topic);
      } catch (error) {
        // Already classified (e.g. a wrapped built-in serde): keep it as it is.
        if (error instanceof SerdeError && error.code === 'SERDE_SERIALIZATION_FAILED') throw error;
        throw cannotSerialize('a value', topic, 'the serializer threw', error);
      }
    },
    deserialize(data: Buffer, topic?: string): T {
      try {
        return deserialize(data, topic);
      } catch (error) {
        if (error instanceof SerdeError && error.code === 'SERDE_DESERIALIZATION_FAILED') throw error;
        throw cannotDeserialize('a value', topic, 'the deserializer threw', error);
      }
    },
  });
}

/** The built-in serdes. Each is stateless and safe to share between topics and tasks. */
export const Serdes = Object.freeze({
  /** UTF-8 text. Bytes that are not valid UTF-8 fail rather than turning into U+FFFD. */
  String(): Serde<string> {
    return stringSerde;
  },
  /** JSON text in UTF-8. The type parameter is trusted, not checked: validate the parsed value if it matters. */
  Json<T = unknown>(): Serde<T> {
    return jsonSerde as Serde<T>;
  },
  /**
   * Avro binary encoding of one schema, without a schema-registry header. The schema is compiled once,
   * here; a schema avsc rejects throws TypeError.
   */
  Avro<T>(schema: AvroSchema): AvroSerde<T> {
    return avroSerde<T>(schema);
  },
  /** The bytes themselves, not copied. */
  Buffer(): Serde<Buffer> {
    return bufferSerde;
  },
  /** An 8-byte big-endian IEEE 754 double, the byte format of Kafka's DoubleSerde. */
  Number(): Serde<number> {
    return numberSerde;
  },
  /**
   * An 8-byte big-endian signed integer, the byte format of Kafka's LongSerde, as a JS number. Values
   * beyond ±Number.MAX_SAFE_INTEGER fail both ways; use Int64 for the full range.
   */
  Long(): Serde<number> {
    return longSerde;
  },
  /** An 8-byte big-endian signed integer, the byte format of Kafka's LongSerde, as a bigint. */
  Int64(): Serde<bigint> {
    return int64Serde;
  },
  /**
   * A serde from your own functions. Whatever they throw becomes a SerdeError with the original as `cause`,
   * so that a bad record goes to the dead-letter queue like any other.
   */
  from<T>(
    serialize: (value: T, topic?: string) => Buffer,
    deserialize: (data: Buffer, topic?: string) => T,
  ): Serde<T> {
    return userSerde(serialize, deserialize);
  },
});
