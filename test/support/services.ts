import { startLocalKafka, startLocalMongo } from '../../src/local/index.js';
import { dockerEngineAnswers } from './docker.js';

export interface RunningServices {
  readonly kafkaBrokers: string;
  readonly mongodbUrl: string;
  /** Where the services came from, printed once per test run. */
  readonly description: string;
  stop(): Promise<void>;
}

/**
 * The services for one test run, in order of preference:
 * 1. `KAFKA_BROKERS` / `MONGODB_URL` when set (each on its own; nothing is started for it);
 * 2. containers, when a Docker engine answers (`PROBESTREAM_TEST_SERVICES=local` skips this);
 * 3. a local Kafka broker and Mongo-wire server on the machine's Java.
 */
export async function startTestServices(env: NodeJS.ProcessEnv = process.env): Promise<RunningServices> {
  const mode = env.PROBESTREAM_TEST_SERVICES ?? 'auto';
  if (!['auto', 'local', 'docker'].includes(mode)) {
    throw new TypeError(
      `PROBESTREAM_TEST_SERVICES must be auto, local or docker, not ${JSON.stringify(mode)}`,
    );
  }
  const external = { kafkaBrokers: env.KAFKA_BROKERS || undefined, mongodbUrl: env.MONGODB_URL || undefined };
  if (external.kafkaBrokers && external.mongodbUrl) {
    const { kafkaBrokers, mongodbUrl } = external;
    return {
      kafkaBrokers,
      mongodbUrl,
      description: 'external (KAFKA_BROKERS, MONGODB_URL)',
      stop: async () => {},
    };
  }
  if (mode === 'docker' || (mode === 'auto' && (await dockerEngineAnswers()))) {
    const { startContainerServices } = await import('./containers.js');
    const started = await startContainerServices();
    return {
      ...started,
      kafkaBrokers: external.kafkaBrokers ?? started.kafkaBrokers,
      mongodbUrl: external.mongodbUrl ?? started.mongodbUrl,
    };
  }
  const [kafka, mongo] = await Promise.all([
    external.kafkaBrokers ? undefined : startLocalKafka(),
    external.mongodbUrl ? undefined : startLocalMongo(),
  ]);
  return {
    kafkaBrokers: external.kafkaBrokers ?? kafka?.brokers ?? '',
    mongodbUrl: external.mongodbUrl ?? mongo?.url ?? '',
    description: [
      kafka
        ? `local Kafka ${kafka.version} (KRaft) on ${kafka.brokers}`
        : `Kafka at ${external.kafkaBrokers}`,
      mongo ? `local mongo-java-server on ${mongo.url}` : 'MongoDB at MONGODB_URL',
    ].join(', '),
    stop: async () => {
      await Promise.all([kafka?.stop(), mongo?.stop()]);
    },
  };
}
