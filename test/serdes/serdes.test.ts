import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { Serdes } from '../../src/serdes/index.js';
import { SerdeError } from '../../src/topology/errors.js';

/** Runs fn and answers what it threw, so that tests can assert on code, message and cause together. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

function bytes(hex: string): Buffer {
  return Buffer.from(hex.replaceAll(' ', ''), 'hex');
}

describe('Serdes.String', () => {
  const serde = Serdes.String();

  it('writes UTF-8 and reads it back', () => {
    expect(serde.serialize('café ☕')).toEqual(bytes('63 61 66 c3 a9 20 e2 98 95'));
    expect(serde.deserialize(bytes('63 61 66 c3 a9 20 e2 98 95'))).toBe('café ☕');
  });

  it('round-trips the empty string and a leading byte-order mark', () => {
    expect(serde.deserialize(serde.serialize(''))).toBe('');
    expect(serde.deserialize(serde.serialize('\uFEFFx'))).toBe('\uFEFFx');
  });

  it('rejects bytes that are not valid UTF-8 instead of replacing them', () => {
    const error = thrown(() => serde.deserialize(Buffer.from([0xc3, 0x28]), 'probes'));
    expect(error).toBeInstanceOf(SerdeError);
    expect(error).toMatchObject({
      code: 'SERDE_DESERIALIZATION_FAILED',
      message: 'Cannot deserialize a string from topic probes: the bytes are not valid UTF-8',
    });
    expect((error as SerdeError).cause).toBeInstanceOf(TypeError);
  });

  it('rejects a value that is not a string', () => {
    expect(thrown(() => serde.serialize(42 as unknown as string))).toMatchObject({
      code: 'SERDE_SERIALIZATION_FAILED',
      message: 'Cannot serialize a string: got a number',
    });
  });
});

describe('Serdes.Json', () => {
  const serde = Serdes.Json<{ mac: string; seen: number[]; name: string | null }>();

  it('writes compact UTF-8 JSON and reads it back', () => {
    const value = { mac: 'aa:bb', seen: [1, 2], name: null };
    expect(serde.serialize(value).toString('utf8')).toBe('{"mac":"aa:bb","seen":[1,2],"name":null}');
    expect(serde.deserialize(serde.serialize(value))).toEqual(value);
  });

  it('round-trips non-ASCII strings', () => {
    expect(Serdes.Json<string>().deserialize(Serdes.Json<string>().serialize('Zoë'))).toBe('Zoë');
  });

  it('rejects bytes that are not JSON, keeping the parser error as cause', () => {
    const error = thrown(() => serde.deserialize(Buffer.from('{not json'), 'probes'));
    expect(error).toBeInstanceOf(SerdeError);
    expect(error).toMatchObject({
      code: 'SERDE_DESERIALIZATION_FAILED',
      message: 'Cannot deserialize JSON from topic probes: the bytes are not valid JSON',
    });
    expect((error as SerdeError).cause).toBeInstanceOf(SyntaxError);
  });

  it('rejects bytes that are not valid UTF-8', () => {
    expect(thrown(() => serde.deserialize(Buffer.from([0x22, 0xff, 0x22])))).toMatchObject({
      code: 'SERDE_DESERIALIZATION_FAILED',
      message: 'Cannot deserialize JSON: the bytes are not valid UTF-8',
    });
  });

  it('rejects undefined, which has no JSON form', () => {
    expect(thrown(() => Serdes.Json().serialize(undefined, 'probes'))).toMatchObject({
      code: 'SERDE_SERIALIZATION_FAILED',
      message: 'Cannot serialize JSON for topic probes: a undefined has no JSON form',
    });
  });

  it('rejects a bigint and a cycle, keeping the stringify error as cause', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    for (const value of [{ count: 1n }, cycle]) {
      const error = thrown(() => Serdes.Json().serialize(value));
      expect(error).toMatchObject({
        code: 'SERDE_SERIALIZATION_FAILED',
        message: 'Cannot serialize JSON: the value has no JSON form',
      });
      expect((error as SerdeError).cause).toBeInstanceOf(TypeError);
    }
  });
});

describe('Serdes.Avro', () => {
  type Device = { mac: string; name: string | null };
  const schema = {
    type: 'record' as const,
    name: 'Device',
    fields: [
      { name: 'mac', type: 'string' },
      { name: 'name', type: ['null', 'string'], default: null },
    ],
  };
  const serde = Serdes.Avro<Device>(schema);

  it('writes the Avro binary encoding and reads it back', () => {
    // mac: zigzag length 2 (04) + "aa"; name: union branch 1 (02), length 3 (06) + "Bob".
    const encoded = bytes('04 61 61 02 06 42 6f 62');
    expect(serde.serialize({ mac: 'aa', name: 'Bob' })).toEqual(encoded);
    expect(serde.deserialize(encoded)).toEqual({ mac: 'aa', name: 'Bob' });
  });

  it('round-trips the null branch of a union', () => {
    const device = { mac: 'aa:bb:cc:dd:ee:ff', name: null };
    expect(serde.deserialize(serde.serialize(device))).toEqual(device);
  });

  it('exposes the compiled avsc type so the schema can be reused', () => {
    expect(serde.type.name).toBe('Device');
    expect(serde.type.schema()).toEqual(avro.Type.forSchema(schema).schema());
  });

  it('accepts an avsc Type as it is', () => {
    const type = avro.Type.forSchema(schema);
    expect(Serdes.Avro<Device>(type).type).toBe(type);
  });

  it('rejects a value that does not match the schema, naming the schema and the bad field', () => {
    const error = thrown(() => serde.serialize({ mac: 42, name: null } as unknown as Device, 'devices'));
    expect(error).toBeInstanceOf(SerdeError);
    expect(error).toMatchObject({
      code: 'SERDE_SERIALIZATION_FAILED',
      message:
        'Cannot serialize a value with Avro schema Device for topic devices: mac is not a valid "string"',
    });
    expect((error as SerdeError).cause).toBeInstanceOf(Error);
  });

  it('names every bad field, union fields included', () => {
    expect(thrown(() => serde.serialize({ mac: 1, name: 2 } as unknown as Device))).toMatchObject({
      message:
        'Cannot serialize a value with Avro schema Device: mac is not a valid "string"; ' +
        'name is not a valid ["null","string"]',
    });
  });

  it('rejects truncated bytes', () => {
    const error = thrown(() => serde.deserialize(bytes('04 61 61 02 06 42'), 'devices'));
    expect(error).toBeInstanceOf(SerdeError);
    expect(error).toMatchObject({
      code: 'SERDE_DESERIALIZATION_FAILED',
      message:
        'Cannot deserialize a value with Avro schema Device from topic devices: the bytes are not a valid encoding of it',
    });
    expect((error as SerdeError).cause).toBeInstanceOf(Error);
  });

  it('rejects trailing bytes after a complete value', () => {
    expect(thrown(() => serde.deserialize(bytes('04 61 61 00 00')))).toMatchObject({
      code: 'SERDE_DESERIALIZATION_FAILED',
    });
  });

  it('throws TypeError when given no schema or one avsc rejects', () => {
    expect(() => Serdes.Avro(undefined as unknown as string)).toThrow(TypeError);
    expect(() => Serdes.Avro({ type: 'record' } as unknown as string)).toThrow(TypeError);
  });
});

describe('Serdes.Buffer', () => {
  it('answers the very bytes it was given, both ways', () => {
    const data = bytes('00 ff 10');
    expect(Serdes.Buffer().serialize(data)).toBe(data);
    expect(Serdes.Buffer().deserialize(data)).toBe(data);
  });

  it('rejects a value that is not a Buffer', () => {
    expect(thrown(() => Serdes.Buffer().serialize('text' as unknown as Buffer))).toMatchObject({
      code: 'SERDE_SERIALIZATION_FAILED',
    });
  });
});

describe('Serdes.Number', () => {
  const serde = Serdes.Number();

  it('writes an 8-byte big-endian IEEE double', () => {
    expect(serde.serialize(1)).toEqual(bytes('3f f0 00 00 00 00 00 00'));
    expect(serde.serialize(-2.5)).toEqual(bytes('c0 04 00 00 00 00 00 00'));
    expect(serde.deserialize(bytes('40 09 21 fb 54 44 2d 18'))).toBe(Math.PI);
  });

  it('round-trips zero, negative zero, infinities and NaN', () => {
    for (const value of [0, -0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN, 0.1]) {
      expect(serde.deserialize(serde.serialize(value))).toBe(value);
    }
  });

  it('rejects data that is not exactly 8 bytes', () => {
    for (const data of [bytes(''), bytes('3f f0 00 00'), bytes('3f f0 00 00 00 00 00 00 00')]) {
      expect(thrown(() => serde.deserialize(data))).toMatchObject({
        code: 'SERDE_DESERIALIZATION_FAILED',
        message: `Cannot deserialize a double: expected 8 bytes, got ${data.length}`,
      });
    }
  });
});

describe('Serdes.Long', () => {
  const serde = Serdes.Long();

  it("writes an 8-byte big-endian signed integer, Kafka's LongSerde format", () => {
    expect(serde.serialize(1)).toEqual(bytes('00 00 00 00 00 00 00 01'));
    expect(serde.serialize(-1)).toEqual(bytes('ff ff ff ff ff ff ff ff'));
    expect(serde.serialize(0)).toEqual(bytes('00 00 00 00 00 00 00 00'));
    expect(serde.serialize(2 ** 32)).toEqual(bytes('00 00 00 01 00 00 00 00'));
    expect(serde.serialize(-(2 ** 32) - 1)).toEqual(bytes('ff ff ff fe ff ff ff ff'));
    expect(serde.serialize(Number.MAX_SAFE_INTEGER)).toEqual(bytes('00 1f ff ff ff ff ff ff'));
    expect(serde.serialize(Number.MIN_SAFE_INTEGER)).toEqual(bytes('ff e0 00 00 00 00 00 01'));
  });

  it('reads the same bytes back', () => {
    expect(serde.deserialize(bytes('00 00 00 00 00 00 00 01'))).toBe(1);
    expect(serde.deserialize(bytes('ff ff ff ff ff ff ff ff'))).toBe(-1);
    expect(serde.deserialize(bytes('ff ff ff fe ff ff ff ff'))).toBe(-(2 ** 32) - 1);
    expect(serde.deserialize(bytes('00 1f ff ff ff ff ff ff'))).toBe(Number.MAX_SAFE_INTEGER);
    expect(serde.deserialize(bytes('ff e0 00 00 00 00 00 01'))).toBe(Number.MIN_SAFE_INTEGER);
  });

  it('agrees with BigInt encoding on a spread of values', () => {
    for (const value of [7, -7, 123_456_789_012, -123_456_789_012, 2 ** 31, -(2 ** 31), 2 ** 52 + 1]) {
      const expected = Buffer.alloc(8);
      expected.writeBigInt64BE(BigInt(value));
      expect(serde.serialize(value)).toEqual(expected);
      expect(serde.deserialize(expected)).toBe(value);
    }
  });

  it('rejects a value that is not a safe integer', () => {
    for (const value of [1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(thrown(() => serde.serialize(value, 'counts'))).toMatchObject({
        code: 'SERDE_SERIALIZATION_FAILED',
        message: `Cannot serialize a long for topic counts: ${value} is not a safe integer`,
      });
    }
  });

  it('rejects a long beyond the safe integer range instead of rounding it', () => {
    expect(thrown(() => serde.deserialize(bytes('00 20 00 00 00 00 00 00')))).toMatchObject({
      code: 'SERDE_DESERIALIZATION_FAILED',
      message: 'Cannot deserialize a long: 9007199254740992 is outside the safe integer range',
    });
    expect(thrown(() => serde.deserialize(bytes('ff e0 00 00 00 00 00 00')))).toMatchObject({
      code: 'SERDE_DESERIALIZATION_FAILED',
      message: 'Cannot deserialize a long: -9007199254740992 is outside the safe integer range',
    });
  });

  it('rejects data that is not exactly 8 bytes', () => {
    expect(thrown(() => serde.deserialize(bytes('00 00 00 01')))).toMatchObject({
      code: 'SERDE_DESERIALIZATION_FAILED',
      message: 'Cannot deserialize a long: expected 8 bytes, got 4',
    });
  });
});

describe('Serdes.Int64', () => {
  const serde = Serdes.Int64();

  it('writes the same bytes as Long, over the full signed 64-bit range', () => {
    expect(serde.serialize(1n)).toEqual(bytes('00 00 00 00 00 00 00 01'));
    expect(serde.serialize(-1n)).toEqual(bytes('ff ff ff ff ff ff ff ff'));
    expect(serde.serialize(2n ** 63n - 1n)).toEqual(bytes('7f ff ff ff ff ff ff ff'));
    expect(serde.deserialize(bytes('80 00 00 00 00 00 00 00'))).toBe(-(2n ** 63n));
  });

  it('rejects a bigint that does not fit in 64 signed bits', () => {
    const error = thrown(() => serde.serialize(2n ** 63n));
    expect(error).toMatchObject({
      code: 'SERDE_SERIALIZATION_FAILED',
      message: 'Cannot serialize an int64: 9223372036854775808 does not fit in 64 signed bits',
    });
    expect((error as SerdeError).cause).toBeInstanceOf(RangeError);
  });
});

describe('Serdes.from', () => {
  const upper = Serdes.from<string>(
    (value) => Buffer.from(value.toUpperCase()),
    (data) => data.toString().toLowerCase(),
  );

  it('uses the given functions, passing the topic along', () => {
    const seen: (string | undefined)[] = [];
    const serde = Serdes.from<string>(
      (value, topic) => {
        seen.push(topic);
        return Buffer.from(value);
      },
      (data, topic) => {
        seen.push(topic);
        return data.toString();
      },
    );
    expect(serde.deserialize(serde.serialize('x', 'in'), 'out')).toBe('x');
    expect(seen).toEqual(['in', 'out']);
    expect(upper.serialize('abc')).toEqual(Buffer.from('ABC'));
    expect(upper.deserialize(Buffer.from('ABC'))).toBe('abc');
  });

  it('wraps what the deserializer throws in SERDE_DESERIALIZATION_FAILED, keeping it as cause', () => {
    const cause = new RangeError('no good');
    const serde = Serdes.from<string>(
      () => Buffer.alloc(0),
      () => {
        throw cause;
      },
    );
    const error = thrown(() => serde.deserialize(Buffer.alloc(1), 'probes'));
    expect(error).toBeInstanceOf(SerdeError);
    expect(error).toMatchObject({
      code: 'SERDE_DESERIALIZATION_FAILED',
      message: 'Cannot deserialize a value from topic probes: the deserializer threw',
    });
    expect((error as SerdeError).cause).toBe(cause);
  });

  it('wraps what the serializer throws in SERDE_SERIALIZATION_FAILED, keeping it as cause', () => {
    const serde = Serdes.from<string>(
      () => {
        throw 'a string, not an Error';
      },
      (data) => data.toString(),
    );
    const error = thrown(() => serde.serialize('x'));
    expect(error).toMatchObject({
      code: 'SERDE_SERIALIZATION_FAILED',
      message: 'Cannot serialize a value: the serializer threw',
    });
    expect((error as SerdeError).cause).toBe('a string, not an Error');
  });

  it('passes a SerdeError from a wrapped built-in serde through unchanged', () => {
    const json = Serdes.Json<number>();
    const serde = Serdes.from<number>(
      (value, topic) => json.serialize(value, topic),
      (data, topic) => json.deserialize(data, topic),
    );
    expect(thrown(() => serde.deserialize(Buffer.from('{')))).toMatchObject({
      message: 'Cannot deserialize JSON: the bytes are not valid JSON',
    });
  });

  it('throws TypeError when a function is missing', () => {
    expect(() => Serdes.from(undefined as never, () => 1)).toThrow(TypeError);
  });
});
