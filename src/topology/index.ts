// biome-ignore-all assist/source/organizeImports: sections for readers, common things first (grammY-style), not the alphabet
/**
 * The engine: a Kafka-Streams-style DSL (StreamsBuilder, KStream, KTable) compiled into a Topology of
 * processors, and the runtime (KafkaStreams) that runs its tasks as members of one consumer group. It knows
 * nothing of Wi-Fi, HTTP or Telegram.
 */

// Serdes, errors and logging
export {
  createLogger,
  type LogEntry,
  type Logger,
  type LogLevel,
  lineLogger,
  silentLogger,
  stderrLogger,
} from '../logging/index.js';
export { type AvroSchema, type AvroSerde, type Serde, Serdes } from '../serdes/index.js';
// Windowed stores, as processors and queries see them
export type {
  ReadOnlySessionStore,
  ReadOnlyWindowStore,
  SessionStore,
  TimeWindow,
  Windowed,
  WindowStore,
} from '../stores/index.js';
export {
  describeError,
  PartitionReaderError,
  RecordTooLargeError,
  SerdeError,
  StreamsError,
  type StreamsErrorCode,
  streamsErrorCodes,
  type TooLargeRecord,
} from './errors.js';

// The DSL
export { GlobalKTable } from './dsl/global-ktable.js';
export { KGroupedStream, type Materialized } from './dsl/kgrouped-stream.js';
export { KGroupedTable } from './dsl/kgrouped-table.js';
export { type Grouped, KStream, type Produced } from './dsl/kstream.js';
export type { ForeignKeyJoined } from './dsl/foreign-key-join.js';
export { KTable } from './dsl/ktable.js';
export {
  type BuildContext,
  type Consumed,
  StreamsBuilder,
  type TableOptions,
} from './dsl/streams-builder.js';
export { BufferConfig, Suppressed } from './dsl/suppressed.js';
export { SessionWindowedKStream, TimeWindowedKStream } from './dsl/windowed-kstream.js';
export { SessionWindows, SlidingWindows, TimeWindows } from './dsl/windows.js';
export type { GlobalStoreSpec } from './global-store.js';
export { type StoreBuilder, Stores } from './store-builder.js';
export { type SinkOptions, type SourceOptions, Topology } from './topology.js';

// The processor API
export type {
  Cancellable,
  Processor,
  ProcessorContext,
  ProcessorSupplier,
  PunctuationType,
  Punctuator,
} from './processor.js';
export {
  type RecordHeaders,
  type RecordMetadata,
  recordTimestamp,
  type StreamRecord,
  type TaskId,
  type TimestampExtractor,
} from './record.js';
export {
  type ColumnType,
  formatColumnType,
  parseColumnType,
  type Relation,
  RelationCatalog,
  type RelationColumn,
  type RelationQuery,
  type RelationRow,
  type StreamDeclaration,
  type TableDeclaration,
} from './relations.js';

// Running a topology
export type { ActiveTaskObserver, ObservedTask } from './runtime/active-task-observer.js';
export {
  type ExceptionHandling,
  type ProcessingGuarantee,
  STREAMS_CONFIG_DOCS,
  type StreamsConfig,
  type StreamsConfigInput,
  streamsConfig,
} from './runtime/config.js';
export type { ActiveEntries, ActiveEntriesSource } from './runtime/active-entries.js';
export { KafkaStreams } from './runtime/kafka-streams.js';
export type {
  LocalEntriesOptions,
  LocalQueryOptions,
  LocalQueryResult,
  StoreLag,
} from './runtime/local-queries.js';
export { StreamsMetrics } from './runtime/metrics.js';
export type { EngineMetricsRegistry, StreamsEngine } from './runtime/streams-engine.js';
export type { KeyQueryMetadata, StreamsMetadata } from './runtime/streams-metadata.js';
export type { StateListener, StreamsState } from './runtime/streams-state.js';
export type { LocalSessionStore, LocalWindowStore } from './runtime/windowed-queries.js';
export type {
  LocalFetchResult,
  WindowedEntry,
  WindowedValue,
  WindowFetchAllOptions,
  WindowFetchAllResult,
} from './runtime/windowed-reads.js';
export type { TopologySource } from './runtime/worker/protocol.js';
export type { WorkerMetricsRegistry } from './runtime/worker/worker-reads.js';
export { WorkerStreams, type WorkerStreamsOptions } from './runtime/worker/worker-streams.js';

// Testing
export {
  type TestDriverConfig,
  TestInputTopic,
  TestOutputTopic,
  type TestRecord,
  TopologyTestDriver,
} from './test-driver.js';

// Expert internals: Kafka helpers, partitioning, the skip list
export { kafkaLogging } from './kafka/kafka-log.js';
export { PartitionReader, type PartitionReaderOptions, type ReadRecord } from './kafka/partition-reader.js';
export {
  BATCH_OVERHEAD_BYTES,
  boundedRequests,
  DEFAULT_MAX_MESSAGE_BYTES,
  fetchMaxMessageBytes,
  maxRecordBytes,
  type RequestLimits,
  recordSizeBound,
  type SizedRecord,
  topicMaxMessageBytes,
} from './kafka/record-size.js';
export {
  isTransient,
  pause,
  retryWhileTransient,
  type WaitOptions,
} from './kafka/transient.js';
export { murmur2, partitionForKey } from './runtime/murmur2.js';
export { parseRecordName, recordName, skipsTopic, writeSkip } from './runtime/skip-list.js';
export { WindowedSerdes } from './windowed-serdes.js';
