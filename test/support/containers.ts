import { DEFAULT_KAFKA_VERSION } from '../../src/local/index.js';
import { freePort } from '../../src/local/ports.js';
import type { RunningServices } from './services.js';

/**
 * Kafka and MongoDB in containers, for machines with a Docker engine. The host ports are chosen before the
 * start, because Kafka must advertise the address clients reach it on. MongoDB runs as a one-node replica
 * set, which change streams need.
 */
export async function startContainerServices(): Promise<RunningServices> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const kafkaPort = await freePort();
  const mongoPort = await freePort();
  const kafkaVersion = process.env.PROBESTREAM_KAFKA_VERSION || DEFAULT_KAFKA_VERSION;

  const kafka = new GenericContainer(`apache/kafka:${kafkaVersion}`)
    .withExposedPorts({ container: 9092, host: kafkaPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .start();

  const mongo = new GenericContainer('mongo:7.0')
    .withExposedPorts({ container: 27017, host: mongoPort })
    .withCommand(['--replSet', 'rs0', '--bind_ip_all'])
    .withWaitStrategy(Wait.forLogMessage(/Waiting for connections/))
    .start();

  const [kafkaContainer, mongoContainer] = await Promise.all([kafka, mongo]);
  const initiated = await mongoContainer.exec([
    'mongosh',
    '--quiet',
    '--eval',
    "rs.initiate({_id: 'rs0', members: [{_id: 0, host: 'localhost:27017'}]})",
  ]);
  if (initiated.exitCode !== 0) throw new Error(`mongo rs.initiate failed: ${initiated.output}`);

  return {
    kafkaBrokers: `127.0.0.1:${kafkaPort}`,
    mongodbUrl: `mongodb://127.0.0.1:${mongoPort}/?directConnection=true`,
    description: `containers: apache/kafka:${kafkaVersion}, mongo:7.0`,
    stop: async () => {
      await Promise.all([kafkaContainer.stop(), mongoContainer.stop()]);
    },
  };
}
