/**
 * What the CDC's reads of MongoDB write to Kafka: each document's records worked out against what was written
 * before (cdc-state.ts), gathered in a batch, and written with the offsets that account for them in one Kafka
 * transaction (cdc-writer.ts). The state keeps a batch's changes only when its transaction committed.
 */
import type { Message } from 'kafkajs';
import { deviceSerde } from '../probes/schemas.js';
import type { AceCollection, AceDocument } from './cdc-mapping.js';
import { mapAceDocument } from './cdc-mapping.js';
import { documentKey, documentMessage, tokenMessage } from './cdc-offsets.js';
import type { CdcState, WrittenDocument } from './cdc-state.js';
import type { CdcWriter } from './cdc-writer.js';

/** The records of one transaction, and what it read. */
export interface Batch {
  readonly devices: Message[];
  readonly offsets: Message[];
  changes: number;
  snapshotDocuments: number;
}

export interface DeviceCdcStats {
  /** Documents read by snapshots (the first, and every resync or poll since). */
  readonly snapshotDocuments: number;
  /** Change events read from the streams. */
  readonly changes: number;
  /** `devices` records written with a value, and tombstones. */
  readonly recordsWritten: number;
  readonly tombstones: number;
  /** Documents without a valid MAC, or too large for a topic (each counted once, until it changes). */
  readonly skipped: number;
}

export class CdcTransactions {
  readonly totals: { -readonly [K in keyof DeviceCdcStats]: number } = {
    snapshotDocuments: 0,
    changes: 0,
    recordsWritten: 0,
    tombstones: 0,
    skipped: 0,
  };
  readonly #writer: CdcWriter;
  readonly #state: CdcState;
  readonly #warn: (line: string) => void;
  readonly #serde = deviceSerde();
  /** Documents skipped (logged once each, until they change). */
  readonly #skipped = new Set<string>();

  constructor(writer: CdcWriter, state: CdcState, warn: (line: string) => void) {
    this.#writer = writer;
    this.#state = state;
    this.#warn = warn;
  }

  /**
   * Runs `work` against the state, then writes its records in one Kafka transaction; the state keeps the
   * change only when the transaction committed. Throws what failed.
   */
  async run(work: (batch: Batch) => Promise<void> | void): Promise<void> {
    const batch: Batch = { devices: [], offsets: [], changes: 0, snapshotDocuments: 0 };
    this.#state.begin();
    try {
      await work(batch);
      await this.#writer.write(batch.devices, batch.offsets);
      this.#state.commit();
    } catch (error) {
      this.#state.rollback();
      throw error;
    }
    const tombstones = batch.devices.filter((message) => message.value === null).length;
    this.totals.changes += batch.changes;
    this.totals.snapshotDocuments += batch.snapshotDocuments;
    this.totals.recordsWritten += batch.devices.length - tombstones;
    this.totals.tombstones += tombstones;
  }

  /** Stores a stream's resume token with the batch. */
  storeToken(namespace: string, token: string, batch: Batch): void {
    this.#state.setToken(namespace, token);
    batch.offsets.push(tokenMessage(namespace, token));
  }

  /** Writes what differs between a collection's documents, just read whole, and what was written, in key order. */
  writeSnapshot(collection: AceCollection, namespace: string, documents: AceDocument[], batch: Batch): void {
    batch.snapshotDocuments += documents.length;
    const current = new Map(documents.map((doc) => [documentKey(namespace, doc._id), doc] as const));
    const keys = new Set([...current.keys(), ...this.#state.keysOf(namespace)]);
    for (const key of [...keys].sort()) this.write(collection, key, current.get(key), batch);
  }

  /** Records what a document (undefined: none, any more) now writes, and queues the records that says. */
  write(collection: AceCollection, key: string, doc: AceDocument | undefined, batch: Batch): void {
    let written: WrittenDocument | undefined;
    const mapping = doc === undefined ? undefined : mapAceDocument(collection, doc);
    const candidate =
      mapping?.kind === 'record' ? { mac: mapping.record.mac, record: mapping.record } : undefined;
    const skip =
      mapping?.kind === 'invalid-mac'
        ? `its mac ${JSON.stringify(mapping.mac ?? null).slice(0, 80)} is not a MAC address`
        : candidate && this.#writer.oversize(key, candidate, this.#serde.serialize(candidate.record));
    if (skip) {
      if (!this.#skipped.has(key)) {
        this.#skipped.add(key);
        this.totals.skipped += 1;
        this.#warn(`skipped ${key.slice(4, 200)}: ${skip}`);
      }
    } else {
      this.#skipped.delete(key);
      written = candidate;
    }
    const change = this.#state.setDocument(key, written);
    if (change.documentChanged) batch.offsets.push(documentMessage(key, written));
    for (const { mac, record } of change.devices) {
      batch.devices.push({ key: mac, value: record === null ? null : this.#serde.serialize(record) });
    }
  }
}
