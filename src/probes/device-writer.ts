import type { Kafka, Producer } from 'kafkajs';
import { type DeviceRecord, deviceSerde, TOPICS } from './schemas.js';

/**
 * A name given by a person, in the record shape the CDC writes, with `source` `manual`. What the table
 * already says of the device (its IP, model, type and guest flag, from the CDC) is kept; `isGuest`, when
 * given, replaces the guest flag.
 */
export function manualDevice(
  mac: string,
  name: string,
  current?: DeviceRecord,
  isGuest?: boolean,
): DeviceRecord {
  return {
    mac,
    source: 'manual',
    name,
    ip: current?.ip ?? null,
    model: current?.model ?? null,
    type: current?.type ?? null,
    is_guest: isGuest ?? current?.is_guest ?? false,
  };
}

/**
 * Writes `devices` records outside the CDC: each batch waits for every in-sync replica (acks -1) from an
 * idempotent producer, so an answered write is not lost and a retried one is not doubled. The producer
 * connects on the first write; a failed connection is not kept.
 */
export class DeviceWriter {
  readonly topic: string;
  readonly #kafka: Kafka;
  readonly #timeoutMs: number;
  readonly #serde = deviceSerde();
  #producer: Promise<Producer> | undefined;

  constructor(kafka: Kafka, options: { readonly topic?: string; readonly timeoutMs?: number } = {}) {
    this.#kafka = kafka;
    this.topic = options.topic ?? TOPICS.devices;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Writes the records (key: their MAC) and tombstones (a MAC alone) in one request, in this order. */
  async write(changes: readonly (DeviceRecord | { readonly remove: string })[]): Promise<void> {
    if (changes.length === 0) return;
    const producer = await this.#connect();
    await producer.send({
      topic: this.topic,
      acks: -1,
      timeout: this.#timeoutMs,
      messages: changes.map((change) =>
        'remove' in change
          ? { key: change.remove, value: null }
          : { key: change.mac, value: this.#serde.serialize(change) },
      ),
    });
  }

  /** Disconnects. Idempotent. */
  async close(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    await producer?.then((connected) => connected.disconnect()).catch(() => undefined);
  }

  #connect(): Promise<Producer> {
    if (this.#producer === undefined) {
      const producer = this.#kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      const connecting = producer.connect().then(() => producer);
      connecting.catch(() => {
        if (this.#producer === connecting) this.#producer = undefined;
      });
      this.#producer = connecting;
    }
    return this.#producer;
  }
}
