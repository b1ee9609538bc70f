import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import { type Logger, silentLogger } from '../logging/index.js';
import { PartitionReader } from '../topology/index.js';
import { NameIndex } from './names.js';
import { type DeviceRecord, deviceSerde, TOPICS } from './schemas.js';

export interface DeviceDirectoryOptions {
  readonly kafka: Kafka;
  /** Default `devices`. */
  readonly topic?: string;
  /** How often the partitions' ends are asked for, once read to the end. Default 500 ms. */
  readonly pollMs?: number;
  readonly logger?: Logger;
}

/**
 * The whole `devices` table, in memory, on every instance that asks (what Kafka Streams calls a global
 * table): read from the start of every partition, outside any consumer group, then followed. A devices
 * table is small (one record per named device), and every instance needs all of it to answer a name or
 * list names without asking the others.
 *
 * Committed records only (the CDC writes in transactions); a tombstone removes the device, and a record that
 * cannot be read is skipped (the topology's DLQ reports it).
 */
export class DeviceDirectory {
  readonly topic: string;
  readonly #kafka: Kafka;
  readonly #pollMs: number;
  readonly #logger: Logger;
  readonly #devices = new Map<string, DeviceRecord>();
  readonly #serde = deviceSerde();
  readonly #abort = new AbortController();
  #reader: PartitionReader | undefined;
  #index: NameIndex | undefined;
  #following: Promise<void> | undefined;

  constructor(options: DeviceDirectoryOptions) {
    this.#kafka = options.kafka;
    this.topic = options.topic ?? TOPICS.devices;
    this.#pollMs = options.pollMs ?? 500;
    this.#logger = options.logger ?? silentLogger;
  }

  /** Resolves once every partition has been read to its end as it was when called; then follows it. */
  async start(options: { readonly follow?: boolean } = {}): Promise<void> {
    const reader = new PartitionReader(this.#kafka, { isolation: 'read_committed' });
    this.#reader = reader;
    await reader.connect();
    const partitions = await this.#partitions();
    const positions = new Map<number, bigint>();
    for (const partition of partitions)
      positions.set(partition, await reader.startOffset(this.topic, partition));
    await this.#readToEnd(positions);
    if (options.follow ?? true) this.#following = this.#follow(positions);
  }

  /** The device's record, or undefined when the table does not know the MAC (lower case, colon-separated). */
  get(mac: string): DeviceRecord | undefined {
    return this.#devices.get(mac);
  }

  /** Every device, in no particular order. */
  devices(): IterableIterator<DeviceRecord> {
    return this.#devices.values();
  }

  /** The names, indexed; rebuilt after the table changed, on the first call that needs it. */
  names(): NameIndex {
    this.#index ??= new NameIndex(this.#devices.values());
    return this.#index;
  }

  /**
   * Takes a write this process has just made, so that its own next read sees it (read your writes); the
   * record comes back from the topic shortly after, to the same effect. undefined removes the device.
   */
  update(mac: string, record: DeviceRecord | undefined): void {
    this.#index = undefined;
    if (record === undefined) this.#devices.delete(mac);
    else this.#devices.set(mac, record);
  }

  /** Stops following and disconnects. Idempotent. */
  async close(): Promise<void> {
    this.#abort.abort();
    await this.#following?.catch(() => undefined);
    await this.#reader?.disconnect().catch(() => undefined);
  }

  async #partitions(): Promise<number[]> {
    const admin = this.#kafka.admin();
    await admin.connect();
    try {
      const offsets = await admin.fetchTopicOffsets(this.topic);
      return offsets.map((offset) => offset.partition).sort((a, b) => a - b);
    } finally {
      await admin.disconnect();
    }
  }

  async #readToEnd(positions: Map<number, bigint>): Promise<void> {
    const reader = this.#reader as PartitionReader;
    for (const [partition, from] of positions) {
      const end = await reader.endOffset(this.topic, partition);
      if (end <= from) continue;
      const next = await reader.read(
        this.topic,
        partition,
        from,
        end,
        (records) => {
          for (const record of records) this.#apply(record.key, record.value);
        },
        { signal: this.#abort.signal },
      );
      positions.set(partition, next);
    }
  }

  async #follow(positions: Map<number, bigint>): Promise<void> {
    while (!this.#abort.signal.aborted) {
      await sleep(this.#pollMs, undefined, { signal: this.#abort.signal }).catch(() => undefined);
      if (this.#abort.signal.aborted) return;
      try {
        await this.#readToEnd(positions);
      } catch (error) {
        if (this.#abort.signal.aborted) return;
        // Kafka away for a while: the names stay as they were, and the next turn tries again.
        this.#logger.warn(`device names: could not read ${this.topic}: ${(error as Error).message}`);
      }
    }
  }

  #apply(key: Buffer | null, value: Buffer | null): void {
    if (key === null) return;
    const mac = key.toString('utf8');
    this.#index = undefined;
    if (value === null) {
      this.#devices.delete(mac);
      return;
    }
    try {
      this.#devices.set(mac, this.#serde.deserialize(value));
    } catch {
      // Not a device record: the topology sends it to its DLQ; here it is simply not a name.
    }
  }
}
