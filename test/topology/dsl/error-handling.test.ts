import { afterEach, describe, expect, it } from 'vitest';
import {
  Serdes,
  StreamsBuilder,
  StreamsError,
  type TestDriverConfig,
  type TimestampExtractor,
  TopologyTestDriver,
} from '../../../src/topology/index.js';

const drivers: TopologyTestDriver[] = [];
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close();
});

/** `in` (String keys, JSON values) → mapValues(fn) → `out`. */
function pipeline(
  mapper: (value: { n: number }) => unknown,
  config: Omit<TestDriverConfig, 'applicationId'> = {},
  timestampExtractor?: TimestampExtractor<string, { n: number }>,
) {
  const builder = new StreamsBuilder();
  builder
    .stream<string, { n: number }>('in', {
      valueSerde: Serdes.Json(),
      ...(timestampExtractor ? { timestampExtractor } : {}),
    })
    .mapValues(mapper)
    .to('out');
  const driver = new TopologyTestDriver(builder.build(), { applicationId: 'app', ...config });
  drivers.push(driver);
  return {
    driver,
    input: driver.createInputTopic<string, { n: number }>('in'),
    output: driver.createOutputTopic('out'),
    dlq: driver.createOutputTopic('app-dlq', Serdes.Buffer(), Serdes.Buffer()),
  };
}

const failing = (value: { n: number }) => {
  if (value.n < 0) throw new Error('negative');
  return value.n * 10;
};

describe('the dead-letter queue in the test driver', () => {
  it('takes a record whose value cannot be deserialized, with its bytes and why, and goes on', async () => {
    const { driver, input, output, dlq } = pipeline((v) => v.n);
    await input.pipeInput('first', { n: 1 });
    await driver.pipeRaw('in', Buffer.from('bad-key'), Buffer.from('{not json'), 123, { origin: 'sensor-7' });
    await input.pipeInput('next', { n: 2 });
    expect(output.readKeyValuesToList()).toEqual([
      ['first', 1],
      ['next', 2],
    ]);
    const [dead, ...rest] = dlq.readRecordsToList();
    expect(rest).toEqual([]);
    expect(dead?.key).toEqual(Buffer.from('bad-key'));
    expect(dead?.value).toEqual(Buffer.from('{not json'));
    expect(dead?.timestamp).toBe(123);
    expect(dead?.headers).toMatchObject({
      origin: 'sensor-7',
      'probestream.error.code': 'SERDE_DESERIALIZATION_FAILED',
      'probestream.source.topic': 'in',
      'probestream.source.partition': '0',
      'probestream.source.offset': '1',
      'probestream.source.timestamp': '123',
      'probestream.task': '0_0',
    });
    expect(String(dead?.headers['probestream.error.message'])).toMatch(/not valid JSON/);
  });

  it('takes a record whose key cannot be deserialized', async () => {
    const { driver, dlq, output } = pipeline((v) => v.n);
    await driver.pipeRaw('in', Buffer.from([0xff, 0xfe]), Buffer.from('{"n":1}'), 0);
    expect(output.isEmpty()).toBe(true);
    expect(dlq.readRecord().headers['probestream.error.code']).toBe('SERDE_DESERIALIZATION_FAILED');
  });

  it('with deserializationExceptionHandler fail, rejects the pipe with the SerdeError instead', async () => {
    const { driver, dlq } = pipeline((v) => v.n, { deserializationExceptionHandler: 'fail' });
    await expect(driver.pipeRaw('in', null, Buffer.from('{not json'), 0)).rejects.toMatchObject({
      name: 'SerdeError',
      code: 'SERDE_DESERIALIZATION_FAILED',
    });
    expect(dlq.isEmpty()).toBe(true);
  });

  it('takes a record whose timestamp extractor answers -1, with code INVALID_TIMESTAMP', async () => {
    const { input, output, dlq } = pipeline(
      (v) => v.n,
      {},
      (record) => (record.value.n < 0 ? -1 : record.timestamp),
    );
    await input.pipeInput('bad', { n: -1 }, 50);
    await input.pipeInput('good', { n: 2 }, 60);
    expect(output.readRecordsToList()).toEqual([{ key: 'good', value: 2, timestamp: 60, headers: {} }]);
    const dead = dlq.readRecordsToList();
    expect(dead).toHaveLength(1);
    expect(dead[0]?.key).toEqual(Buffer.from('bad'));
    expect(dead[0]?.headers['probestream.error.code']).toBe('INVALID_TIMESTAMP');
    expect(dead[0]?.headers['probestream.source.offset']).toBe('0');
  });

  it('uses the timestamp the extractor answers as the record timestamp', async () => {
    const { input, output } = pipeline(
      (v) => v.n,
      {},
      (record) => record.value.n * 1000,
    );
    await input.pipeInput('k', { n: 7 }, 1);
    expect(output.readRecord().timestamp).toBe(7000);
  });
});

describe('a processor that throws, in the test driver', () => {
  it("with processingExceptionHandler 'fail', rejects the pipe with PROCESSING_FAILED naming the node and the record", async () => {
    const { input, dlq } = pipeline(failing, { processingExceptionHandler: 'fail' });
    await input.pipeInput('ok', { n: 1 });
    const failure = input.pipeInput('bad', { n: -1 });
    await expect(failure).rejects.toBeInstanceOf(StreamsError);
    await expect(failure).rejects.toMatchObject({
      code: 'PROCESSING_FAILED',
      message: 'processor KSTREAM-MAPVALUES-0000000001 failed on in-0@1: negative',
    });
    await expect(failure).rejects.toHaveProperty('cause', expect.objectContaining({ message: 'negative' }));
    expect(dlq.isEmpty()).toBe(true);
  });

  it('by default sends the record to app-dlq and goes on', async () => {
    const { input, output, dlq } = pipeline(failing);
    await input.pipeInput('bad', { n: -1 }, 5);
    await input.pipeInput('good', { n: 2 }, 6);
    expect(output.readKeyValuesToList()).toEqual([['good', 20]]);
    const dead = dlq.readRecordsToList();
    expect(dead).toHaveLength(1);
    expect(dead[0]?.key).toEqual(Buffer.from('bad'));
    expect(dead[0]?.value).toEqual(Buffer.from('{"n":-1}'));
    expect(dead[0]?.headers).toMatchObject({
      'probestream.error.code': 'PROCESSING_FAILED',
      'probestream.error.message': 'processor KSTREAM-MAPVALUES-0000000001 failed on in-0@0: negative',
      'probestream.source.topic': 'in',
      'probestream.source.partition': '0',
      'probestream.source.offset': '0',
    });
  });

  it('names the repartition topic record when a processor after a repartition throws', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, number>('in')
      .selectKey((_k, v) => `k${v}`)
      .groupByKey({ name: 'regroup' })
      .reduce((a, b) => {
        if (b === 0) throw new Error('zero');
        return a + b;
      }, 'sums');
    const driver = new TopologyTestDriver(builder.build(), {
      applicationId: 'app',
      processingExceptionHandler: 'fail',
    });
    drivers.push(driver);
    const input = driver.createInputTopic<string, number>('in');
    await input.pipeInput('a', 0);
    await expect(input.pipeInput('b', 0)).rejects.toMatchObject({
      code: 'PROCESSING_FAILED',
      message: 'processor KSTREAM-REDUCE-0000000002 failed on app-regroup-repartition-0@1: zero',
    });
  });

  it('names the node that threw, not the ones upstream of it', async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, number>('in')
      .peek(() => {})
      .filter(() => {
        throw new TypeError('broken predicate');
      })
      .to('out');
    const driver = new TopologyTestDriver(builder.build(), { processingExceptionHandler: 'fail' });
    drivers.push(driver);
    await expect(driver.createInputTopic('in').pipeInput('k', 1)).rejects.toMatchObject({
      code: 'PROCESSING_FAILED',
      message: 'processor KSTREAM-FILTER-0000000002 failed on in-0@0: broken predicate',
    });
  });

  it("sends a value the sink's serde cannot write to the DLQ when a processor precedes the sink", async () => {
    const builder = new StreamsBuilder();
    builder
      .stream<string, unknown>('in')
      .peek(() => {})
      .to('out', { valueSerde: Serdes.String() as never });
    const driver = new TopologyTestDriver(builder.build(), {
      applicationId: 'app',
      processingExceptionHandler: 'dlq',
    });
    drivers.push(driver);
    await driver.createInputTopic('in').pipeInput('k', 42);
    const dead = driver.createOutputTopic('app-dlq', Serdes.String(), Serdes.String()).readRecordsToList();
    expect(dead.map((r) => r.headers['probestream.error.code'])).toEqual(['PROCESSING_FAILED']);
  });

  // Regression: a sink fed straight by a source let its serde's error escape the exception handler.
  it("sends a value the sink's serde cannot write to the DLQ when the sink reads the source directly", async () => {
    const builder = new StreamsBuilder();
    builder.stream<string, unknown>('in').to('out', { valueSerde: Serdes.String() as never });
    const driver = new TopologyTestDriver(builder.build(), {
      applicationId: 'app',
      processingExceptionHandler: 'dlq',
    });
    drivers.push(driver);
    await driver.createInputTopic('in').pipeInput('k', 42);
    const dead = driver.createOutputTopic('app-dlq', Serdes.String(), Serdes.String()).readRecordsToList();
    expect(dead.map((r) => r.headers['probestream.error.code'])).toEqual(['PROCESSING_FAILED']);
  });
});
