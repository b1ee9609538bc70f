import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The engine's metrics, all prefixed `probestream_`, in one registry per KafkaStreams instance (several
 * instances in one process must not collide). An application serves them by merging registries.
 */
export class StreamsMetrics {
  readonly registry: Registry;
  readonly recordsConsumed: Counter<'topic'>;
  readonly recordsProcessed: Counter<'topic'>;
  readonly processLatency: Histogram;
  readonly commitLatency: Histogram;
  readonly commits: Counter;
  readonly rebalances: Counter;
  readonly dlqRecords: Counter<'topic' | 'code'>;
  readonly productionErrors: Counter<'topic' | 'reason'>;
  readonly skippedRecords: Counter<'node' | 'reason'>;
  readonly droppedRecords: Counter<'node' | 'reason'>;
  readonly activeTasks: Gauge;
  readonly consumerLag: Gauge<'topic' | 'partition'>;
  readonly restoredRecords: Counter<'store'>;
  readonly fencedCommits: Counter;
  readonly kafkaUnavailable: Counter<'during'>;
  readonly standbyRecords: Counter<'store'>;
  readonly restoreRemaining: Gauge<'store' | 'task'>;

  // One declaration per metric, as the README lists them: a table that grows with the metrics, not logic.
  constructor(applicationId: string, registry = new Registry()) {
    this.registry = registry;
    registry.setDefaultLabels({ application_id: applicationId });
    const registers = [registry];
    this.recordsConsumed = new Counter({
      name: 'probestream_records_consumed_total',
      help: 'Records fetched from each source topic',
      labelNames: ['topic'],
      registers,
    });
    this.recordsProcessed = new Counter({
      name: 'probestream_records_processed_total',
      help: 'Records that went through the topology (not to the dead-letter queue), by source topic',
      labelNames: ['topic'],
      registers,
    });
    this.processLatency = new Histogram({
      name: 'probestream_process_latency_seconds',
      help: 'Time to process one record, averaged over each fetched batch',
      buckets: [1e-6, 5e-6, 1e-5, 5e-5, 1e-4, 5e-4, 1e-3, 1e-2],
      registers,
    });
    this.commitLatency = new Histogram({
      name: 'probestream_commit_latency_seconds',
      help: 'Time to commit: flush stores, produce and wait for acknowledgements, commit offsets',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    this.commits = new Counter({
      name: 'probestream_commits_total',
      help: 'Commits that succeeded',
      registers,
    });
    this.rebalances = new Counter({
      name: 'probestream_rebalances_total',
      help: 'Assignments received from the consumer group',
      registers,
    });
    this.dlqRecords = new Counter({
      name: 'probestream_dlq_records_total',
      help: 'Records sent to the dead-letter queue, by source topic and error code',
      labelNames: ['topic', 'code'],
      registers,
    });
    this.productionErrors = new Counter({
      name: 'probestream_production_errors_total',
      help: 'Records that could not be written (too large for their topic), by the topic they were meant for and reason',
      labelNames: ['topic', 'reason'],
      registers,
    });
    this.skippedRecords = new Counter({
      name: 'probestream_skipped_records_total',
      help: 'Records an operation passed over (a null key in a join or aggregation), by node and reason',
      labelNames: ['node', 'reason'],
      registers,
    });
    this.droppedRecords = new Counter({
      name: 'probestream_dropped_records_total',
      help: 'Records an operation dropped by design, by node and reason (late: after its window closed, past the grace)',
      labelNames: ['node', 'reason'],
      registers,
    });
    this.activeTasks = new Gauge({
      name: 'probestream_tasks',
      help: 'Active tasks on this instance',
      registers,
    });
    this.consumerLag = new Gauge({
      name: 'probestream_consumer_lag',
      help: 'Records between the last processed offset and the end of each assigned partition',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.restoredRecords = new Counter({
      name: 'probestream_restored_records_total',
      help: 'Changelog records read to rebuild each store',
      labelNames: ['store'],
      registers,
    });
    this.restoreRemaining = new Gauge({
      name: 'probestream_restore_remaining_records',
      help: 'Changelog records still to read before a restoring store is ready, by store and task',
      labelNames: ['store', 'task'],
      registers,
    });
    this.standbyRecords = new Counter({
      name: 'probestream_standby_records_total',
      help: 'Changelog records applied to standby copies, by store',
      labelNames: ['store'],
      registers,
    });
    this.fencedCommits = new Counter({
      name: 'probestream_fenced_commits_total',
      help: 'exactly_once commits refused because a newer producer of the same task fenced this one',
      registers,
    });
    this.kafkaUnavailable = new Counter({
      name: 'probestream_kafka_unavailable_total',
      help: 'Times a commit or an assignment failed while Kafka was unavailable, and the tasks went back to their last commit once it answered',
      labelNames: ['during'],
      registers,
    });
  }
}
