import type { Logger } from '../../logging/index.js';
import type { Serde } from '../../serdes/index.js';
import type { BytesStore, CheckpointedStore } from '../../stores/index.js';
import type { PartitionReader } from '../kafka/partition-reader.js';
import { PartitionReaderError } from '../kafka/partition-reader.js';
import type { StreamsMetrics } from './metrics.js';
import type { StreamTask } from './task.js';

/** Whether a store keeps a changelog checkpoint with its data (LevelDB does; an in-memory store does not). */
export function isCheckpointed(store: BytesStore): store is CheckpointedStore {
  return typeof (store as Partial<CheckpointedStore>).takeWrites === 'function';
}

export interface RestoreProgress {
  readonly store: string;
  readonly topic: string;
  readonly partition: number;
  readonly from: bigint;
  /** The end offset looked up when this restore began: it restores up to here. */
  readonly to: bigint;
  /** The next offset to apply: every change before it is in the store. */
  readonly position: bigint;
  readonly restored: number;
}

export interface RestoreOptions {
  readonly reader: PartitionReader;
  readonly store: BytesStore;
  readonly storeName: string;
  readonly topic: string;
  readonly partition: number;
  /** For a source table: records its serde cannot read were sent to the DLQ when processed; keep them out. */
  readonly validate?: Serde<unknown>;
  /** Called once at the start (with the end offset just looked up), after every batch, and at the end. */
  readonly onProgress?: (progress: RestoreProgress) => void | Promise<void>;
  readonly signal?: AbortSignal;
}

/**
 * Brings a store up to the end of its changelog: a persistent store from the offset recorded beside its
 * data (writing data and the new offset together after every batch, so an interrupted restore resumes),
 * an in-memory one from 0. A persistent store whose recorded offset is beyond the changelog's end (the
 * topic was recreated) is cleared and rebuilt from 0. Returns the records read.
 */
export async function restoreStore(options: RestoreOptions): Promise<number> {
  const { reader, store, topic, partition } = options;
  const durable = isCheckpointed(store) ? store : undefined;
  const end = await reader.endOffset(topic, partition);
  let from = durable?.checkpoint ?? 0n;
  if (from > end) {
    await durable?.clear();
    from = 0n;
  }
  let restored = 0;
  let position = from;
  const progress = (to: bigint) =>
    options.onProgress?.({ store: options.storeName, topic, partition, from, to, position, restored });
  await progress(end);
  if (from === end) return 0;
  const apply = async (records: Awaited<Parameters<Parameters<PartitionReader['read']>[4]>[0]>) => {
    for (const record of records) {
      if (record.key === null) continue;
      if (record.value === null) store.delete(record.key);
      else if (!options.validate || readable(options.validate, record.value, topic))
        store.put(record.key, record.value);
    }
    restored += records.length;
    const last = records.at(-1);
    if (durable && last) await durable.writeCheckpointed(durable.takeWrites(), BigInt(last.offset) + 1n);
    if (last) position = BigInt(last.offset) + 1n;
    await progress(end);
  };
  try {
    await reader.read(topic, partition, from, end, apply, options.signal ? { signal: options.signal } : {});
  } catch (error) {
    if (
      !(error instanceof PartitionReaderError) ||
      error.code !== 'PARTITION_READER_OFFSET_BEYOND_END' ||
      !durable
    ) {
      throw error;
    }
    await durable.clear();
    from = 0n;
    position = 0n;
    await reader.read(topic, partition, 0n, end, apply, options.signal ? { signal: options.signal } : {});
  }
  // The end may lie past the last record (compaction, transaction markers): record it so the next restore
  // does not read the same tail again.
  if (durable) await durable.writeCheckpointed(durable.takeWrites(), end);
  position = end;
  await progress(end);
  return restored;
}

function readable(serde: Serde<unknown>, value: Buffer, topic: string): boolean {
  try {
    serde.deserialize(value, topic);
    return true;
  } catch {
    return false;
  }
}

/**
 * Restores every store of a new task before it processes anything, with progress in metrics and a log
 * line per step, and a heartbeat now and then so a long restore does not cost the group membership.
 */
export async function restoreTask(
  task: StreamTask,
  deps: {
    reader: PartitionReader;
    metrics: StreamsMetrics;
    changelogTopic: (store: string) => string;
    heartbeat: () => Promise<void> | undefined;
    logger: Logger;
    /** Every store's progress, for the lag that queries of a restoring task report. */
    onProgress?: (progress: RestoreProgress) => void;
  },
): Promise<void> {
  for (const store of task.stores.values()) {
    const builder = store.builder;
    const topic = builder.sourceTopic ?? (builder.logging ? deps.changelogTopic(builder.name) : undefined);
    if (!topic) continue;
    const labels = { store: builder.name, task: task.idString };
    const started = Date.now();
    let lastBeat = started;
    let lastLog = started;
    let counted = 0;
    const restored = await restoreStore({
      reader: deps.reader,
      store: store.inner,
      storeName: builder.name,
      topic,
      partition: task.id.partition,
      ...(builder.sourceTopic ? { validate: builder.valueSerde } : {}),
      onProgress: async (progress) => {
        deps.onProgress?.(progress);
        deps.metrics.restoredRecords.inc({ store: builder.name }, progress.restored - counted);
        counted = progress.restored;
        const remaining = Math.max(0, Number(progress.to - progress.position));
        deps.metrics.restoreRemaining.set(labels, remaining);
        if (progress.position === progress.from && progress.to > progress.from) {
          deps.logger.info(
            `task ${task.idString}: restoring ${builder.name} from ${topic}-${progress.partition}, offsets ${progress.from} to ${progress.to}`,
          );
        } else if (Date.now() - lastLog > 1000) {
          lastLog = Date.now();
          deps.logger.info(
            `task ${task.idString}: restoring ${builder.name}, ${progress.restored} read, about ${remaining} to go`,
          );
        }
        if (Date.now() - lastBeat > 1000) {
          lastBeat = Date.now();
          await deps.heartbeat();
        }
      },
    });
    deps.metrics.restoreRemaining.set(labels, 0);
    if (restored > 0) {
      deps.logger.info(
        `task ${task.idString}: restored ${restored} records of ${builder.name} in ${Date.now() - started} ms`,
      );
    }
  }
}
