/**
 * What the CDC has written, rebuilt from `<application.id>-cdc-offsets` on start: for each source document the
 * MAC and record it wrote, and for each collection the change stream's resume token. Every change is worked
 * out against this state, so a change seen twice (a replayed event, a snapshot after a restart) writes
 * nothing the second time.
 */
import type { DeviceRecord } from '../probes/schemas.js';
import { sameDevice } from './cdc-mapping.js';

/** What was written for one source document. */
export interface WrittenDocument {
  readonly mac: string;
  readonly record: DeviceRecord;
}

/** One `devices` write: a record, or null for a tombstone. */
export interface DevicesWrite {
  readonly mac: string;
  readonly record: DeviceRecord | null;
}

/** What one document change writes: its offsets entry (when it changed) and its `devices` records. */
export interface DocumentChange {
  readonly documentChanged: boolean;
  readonly devices: readonly DevicesWrite[];
}

const NO_CHANGE: DocumentChange = Object.freeze({ documentChanged: false, devices: [] });

/**
 * The documents by key (`doc:<db>.<collection>:<_id as canonical EJSON>`), an index of them by MAC, and the
 * resume tokens by namespace. Changes are made inside `begin()` … `commit()` / `rollback()`, so that a batch
 * whose Kafka transaction failed, or whose reads from MongoDB failed half-way, leaves no trace.
 *
 * Two documents may name one MAC (a client also listed as gear, or a MAC reused across sites). The `devices`
 * value of a MAC is then one of them, chosen the same way every time: `ace.device` first, then the lowest
 * key. Removing one of them writes the other's record instead of a tombstone.
 */
export class CdcState {
  readonly #documents = new Map<string, WrittenDocument>();
  readonly #keysByMac = new Map<string, Set<string>>();
  readonly #tokens = new Map<string, string>();
  #undo: (() => void)[] | undefined;

  /** Loads one offsets entry, as read from the topic: a later entry for a key replaces an earlier one. */
  load(key: string, document: WrittenDocument | undefined): void {
    this.#set(key, document);
  }

  loadToken(namespace: string, token: string | undefined): void {
    if (token === undefined) this.#tokens.delete(namespace);
    else this.#tokens.set(namespace, token);
  }

  get size(): number {
    return this.#documents.size;
  }

  document(key: string): WrittenDocument | undefined {
    return this.#documents.get(key);
  }

  /** The keys of the documents written from one namespace, sorted. */
  keysOf(namespace: string): string[] {
    const prefix = `doc:${namespace}:`;
    return [...this.#documents.keys()].filter((key) => key.startsWith(prefix)).sort();
  }

  /** The namespace's resume token, as canonical EJSON text. */
  token(namespace: string): string | undefined {
    return this.#tokens.get(namespace);
  }

  /** The record the `devices` topic holds for a MAC according to this state; null when none. */
  device(mac: string): DeviceRecord | null {
    let chosen: { key: string; document: WrittenDocument } | undefined;
    for (const key of this.#keysByMac.get(mac) ?? []) {
      const document = this.#documents.get(key);
      if (document === undefined) continue;
      if (chosen === undefined || preferred(key, document, chosen.key, chosen.document)) {
        chosen = { key, document };
      }
    }
    return chosen?.document.record ?? null;
  }

  begin(): void {
    if (this.#undo !== undefined) throw new Error('CdcState: a change is already in progress');
    this.#undo = [];
  }

  commit(): void {
    this.#undo = undefined;
  }

  rollback(): void {
    const undo = this.#undo ?? [];
    this.#undo = undefined;
    for (let step = undo.pop(); step !== undefined; step = undo.pop()) step();
  }

  /**
   * Records what a document now writes (undefined: nothing, as when it was deleted or has no valid MAC), and
   * answers what that changes: a tombstone for a MAC no document names any more, the new record of a MAC
   * whose chosen record changed, the old MAC before the new one.
   */
  setDocument(key: string, next: WrittenDocument | undefined): DocumentChange {
    const previous = this.#documents.get(key);
    if (previous === next || (previous?.mac === next?.mac && sameDevice(previous?.record, next?.record))) {
      return NO_CHANGE;
    }
    const macs = [...new Set([previous?.mac, next?.mac])].filter((mac): mac is string => mac !== undefined);
    const before = macs.map((mac) => this.device(mac));
    this.#set(key, next);
    const devices: DevicesWrite[] = [];
    macs.forEach((mac, index) => {
      const record = this.device(mac);
      if (!sameDevice(before[index], record)) devices.push({ mac, record });
    });
    return { documentChanged: true, devices };
  }

  setToken(namespace: string, token: string): void {
    const previous = this.#tokens.get(namespace);
    this.#tokens.set(namespace, token);
    this.#undo?.push(() => this.loadToken(namespace, previous));
  }

  #set(key: string, next: WrittenDocument | undefined): void {
    const previous = this.#documents.get(key);
    if (previous !== undefined) {
      const keys = this.#keysByMac.get(previous.mac);
      keys?.delete(key);
      if (keys?.size === 0) this.#keysByMac.delete(previous.mac);
      this.#documents.delete(key);
    }
    if (next !== undefined) {
      this.#documents.set(key, next);
      const keys = this.#keysByMac.get(next.mac) ?? new Set<string>();
      keys.add(key);
      this.#keysByMac.set(next.mac, keys);
    }
    this.#undo?.push(() => this.#set(key, previous));
  }
}

function preferred(
  key: string,
  document: WrittenDocument,
  otherKey: string,
  other: WrittenDocument,
): boolean {
  if (document.record.source !== other.record.source) return document.record.source === 'device';
  return key < otherKey;
}
