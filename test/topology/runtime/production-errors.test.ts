import { afterEach, describe, expect, it } from 'vitest';
import {
  Serdes,
  StreamsBuilder,
  type TestDriverConfig,
  TopologyTestDriver,
} from '../../../src/topology/index.js';

const drivers: TopologyTestDriver[] = [];
afterEach(async () => {
  for (const driver of drivers.splice(0)) await driver.close();
});

/** Every topic takes 1,000 bytes: `in` → `out`, and `in` grouped into a concatenating table `joined`. */
function pipeline(config: Omit<TestDriverConfig, 'applicationId' | 'maxMessageBytes'> = {}) {
  const builder = new StreamsBuilder();
  const stream = builder.stream<string, string>('in', { valueSerde: Serdes.String() });
  stream.to('out', { valueSerde: Serdes.String() });
  stream.groupByKey().reduce((a, b) => a + b, { storeName: 'joined', valueSerde: Serdes.String() });
  const driver = new TopologyTestDriver(builder.build(), {
    applicationId: 'app',
    maxMessageBytes: 1000,
    ...config,
  });
  drivers.push(driver);
  return {
    driver,
    input: driver.createInputTopic<string, string>('in', Serdes.String(), Serdes.String()),
    output: driver.createOutputTopic<string, string>('out', Serdes.String(), Serdes.String()),
    dlq: driver.createOutputTopic('app-dlq', Serdes.String(), Serdes.String()),
  };
}

describe('a record too large for the topic it is written to', () => {
  it('goes to the DLQ by default, naming the topic it was meant for, and processing goes on', async () => {
    const { input, output, dlq } = pipeline();
    await input.pipeInput('big', 'x'.repeat(2000), 10);
    await input.pipeInput('small', 'ok', 11);
    expect(output.readKeyValuesToList()).toEqual([['small', 'ok']]);
    const dead = dlq.readRecordsToList();
    expect(dead).toHaveLength(1);
    expect(dead[0]?.headers).toMatchObject({
      'probestream.error.code': 'RECORD_TOO_LARGE',
      'probestream.error.class': 'RecordTooLargeError',
      'probestream.target.topic': 'out',
      'probestream.source.topic': 'in',
      'probestream.source.offset': '0',
      'probestream.original.value.bytes': '2000',
    });
    // Cut to fit the DLQ's own limit.
    expect(dead[0]?.value).toBe('x'.repeat(String(dead[0]?.value).length));
    expect(String(dead[0]?.value).length).toBeLessThan(1000);
  });

  it("stops processing with 'fail', naming the source record", async () => {
    const { input } = pipeline({ productionExceptionHandler: 'fail' });
    await expect(input.pipeInput('big', 'x'.repeat(2000))).rejects.toMatchObject({
      code: 'RECORD_TOO_LARGE',
      message: expect.stringMatching(/^processing in-0@0: a record of \d+ bytes cannot be written to out/),
    });
  });
});

describe('a store write whose changelog record would be too large', () => {
  it('is refused while its record is processed: the record goes to the DLQ and the store keeps its value', async () => {
    const { driver, input, dlq } = pipeline();
    await input.pipeInput('k', 'a'.repeat(400));
    await input.pipeInput('k', 'b'.repeat(400));
    // The third would make the value 1,200 bytes: more than the changelog takes.
    await input.pipeInput('k', 'c'.repeat(400));
    await input.pipeInput('k', 'd');
    expect(await driver.getKeyValueStore<string, string>('joined').get('k')).toBe(
      `${'a'.repeat(400)}${'b'.repeat(400)}d`,
    );
    const dead = dlq.readRecordsToList();
    expect(dead.map((r) => r.headers['probestream.target.topic'])).toEqual(['app-joined-changelog']);
    expect(dead.map((r) => r.headers['probestream.source.offset'])).toEqual(['2']);
  });
});
