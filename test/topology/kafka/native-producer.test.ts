import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import type { StreamsConfigInput } from '../../../src/topology/index.js';
import { NativeProducer } from '../../../src/topology/kafka/native-producer.js';
import { streamsConfig } from '../../../src/topology/runtime/config.js';

describe('NativeProducer', () => {
  it('fails PRODUCER_UNSUPPORTED at connect when the kafkajs client lacks an internal it drives', async () => {
    const producer = new NativeProducer({ logger: () => undefined } as unknown as Kafka, {});
    await expect(producer.connect()).rejects.toMatchObject({
      code: 'PRODUCER_UNSUPPORTED',
      message: expect.stringContaining('private:Kafka:createCluster'),
    });
  });

  it('refuses to send before it is connected', async () => {
    const producer = new NativeProducer({} as Kafka, {});
    await expect(producer.send([])).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });
    await expect(producer.transaction()).rejects.toMatchObject({ code: 'ILLEGAL_STATE' });
  });
});

describe('producerClient', () => {
  const base: StreamsConfigInput = { applicationId: 'app', bootstrapServers: 'localhost:9092' };

  it('defaults to kafkajs, takes native, and names anything else as invalid', () => {
    expect(streamsConfig(base).producerClient).toBe('kafkajs');
    expect(streamsConfig({ ...base, producerClient: 'native' }).producerClient).toBe('native');
    expect(() =>
      streamsConfig({ ...base, producerClient: 'librdkafka' as StreamsConfigInput['producerClient'] }),
    ).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        message: expect.stringMatching(/^producerClient: /),
      }),
    );
  });
});
