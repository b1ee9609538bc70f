/**
 * Real services on loopback for tests and the demo, with no Docker: a single-node Apache Kafka 4.x broker
 * (KRaft) and a MongoDB-wire server with change streams, both resolved from Maven Central and run with the
 * machine's Java. Not used in production, where probestream connects to real clusters.
 */
export { LocalServiceError, type LocalServiceErrorCode, localServiceErrorCodes } from './errors.js';
export {
  DEFAULT_KAFKA_VERSION,
  type LocalKafka,
  type LocalKafkaOptions,
  prepareLocalKafka,
  startLocalKafka,
} from './kafka.js';
export { type LocalMongo, type LocalMongoOptions, prepareLocalMongo, startLocalMongo } from './mongo.js';
export { cacheDir } from './paths.js';
