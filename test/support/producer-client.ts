import type { StreamsConfigInput } from '../../src/topology/index.js';

/**
 * The producer client the engine's tests run with: PROBESTREAM_TEST_PRODUCER=native runs them through the
 * native producer (unset: the engine's default, kafkajs). No vitest import: child processes use it too.
 */
export function testProducerClient(): Pick<StreamsConfigInput, 'producerClient'> {
  const client = process.env.PROBESTREAM_TEST_PRODUCER as StreamsConfigInput['producerClient'];
  return client ? { producerClient: client } : {};
}
