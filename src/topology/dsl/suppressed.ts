import type { Serde } from '../../serdes/index.js';
import type { SuppressionBuffer } from '../../stores/index.js';
import type { Processor, ProcessorContext } from '../processor.js';
import type { StreamRecord } from '../record.js';

/** How much a suppression may hold: unbounded, or at most so many records or bytes of keys and values. */
export class BufferConfig {
  readonly maxRecords: number;
  readonly maxBytes: number;

  private constructor(maxRecords: number, maxBytes: number) {
    this.maxRecords = maxRecords;
    this.maxBytes = maxBytes;
  }

  static unbounded(): BufferConfig {
    return new BufferConfig(Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY);
  }

  /** When full, the update that does not fit is passed on at once instead of held. */
  static maxRecords(records: number): BufferConfig {
    return new BufferConfig(positive('maxRecords', records), Number.POSITIVE_INFINITY);
  }

  static maxBytes(bytes: number): BufferConfig {
    return new BufferConfig(Number.POSITIVE_INFINITY, positive('maxBytes', bytes));
  }

  withMaxRecords(records: number): BufferConfig {
    return new BufferConfig(positive('maxRecords', records), this.maxBytes);
  }

  withMaxBytes(bytes: number): BufferConfig {
    return new BufferConfig(this.maxRecords, positive('maxBytes', bytes));
  }
}

function positive(what: string, n: unknown): number {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1)
    throw new TypeError(`${what} must be a whole number >= 1: ${String(n)}`);
  return n;
}

/**
 * What `KTable.suppress` holds back. `untilWindowCloses`: a windowed table's final result per window, once
 * stream time passes the window's end plus grace (the buffer must not drop anything, so it is unbounded).
 * `untilTimeLimit`: the latest update of a key, `timeToWaitMs` of stream time after the first update it holds.
 */
export class Suppressed {
  readonly kind: 'untilWindowCloses' | 'untilTimeLimit';
  readonly timeToWaitMs: number;
  readonly buffer: BufferConfig;
  readonly name: string | undefined;

  private constructor(kind: Suppressed['kind'], timeToWaitMs: number, buffer: BufferConfig, name?: string) {
    this.kind = kind;
    this.timeToWaitMs = timeToWaitMs;
    this.buffer = buffer;
    this.name = name;
  }

  static untilWindowCloses(buffer: BufferConfig = BufferConfig.unbounded()): Suppressed {
    if (Number.isFinite(buffer.maxRecords) || Number.isFinite(buffer.maxBytes))
      throw new TypeError(
        'untilWindowCloses needs an unbounded buffer: a bound would emit results before they are final',
      );
    return new Suppressed('untilWindowCloses', 0, buffer);
  }

  static untilTimeLimit(timeToWaitMs: number, buffer: BufferConfig): Suppressed {
    if (!Number.isSafeInteger(timeToWaitMs) || timeToWaitMs < 0)
      throw new TypeError(`a time limit must be a whole number of ms >= 0: ${String(timeToWaitMs)}`);
    return new Suppressed('untilTimeLimit', timeToWaitMs, buffer);
  }

  /** Names the node, and its buffer store `<name>-store`. */
  withName(name: string): Suppressed {
    return new Suppressed(this.kind, this.timeToWaitMs, this.buffer, name);
  }
}

/**
 * Holds each key's latest update in the buffer until it comes due, then forwards it. `dueTime` says when
 * (a window's close, or the first held update's time plus the limit); a delete of a key never forwarded is
 * dropped when results are final (untilWindowCloses), held like any update otherwise.
 */
export function suppressProcessor<K, V>(
  storeName: string,
  suppressed: Suppressed,
  keySerde: Serde<K>,
  valueSerde: Serde<V>,
  dueTime: (key: K, timestamp: number) => number,
): () => Processor<K, V | null, K, V | null> {
  return () => {
    let context: ProcessorContext<K, V | null>;
    let buffer: SuppressionBuffer;
    const finalOnly = suppressed.kind === 'untilWindowCloses';
    return {
      init(ctx) {
        context = ctx;
        buffer = ctx.getStateStore<SuppressionBuffer>(storeName);
        buffer.onDue = (entry) =>
          context.forward({
            key: keySerde.deserialize(entry.key),
            value: entry.value === null ? null : valueSerde.deserialize(entry.value),
            timestamp: entry.timestamp,
            headers: {},
          });
      },
      process(record: StreamRecord<K, V | null>) {
        buffer.observe(record.timestamp);
        const key = keySerde.serialize(record.key);
        const held = buffer.dueTime(key);
        if (record.value === null && finalOnly) {
          buffer.remove(key);
          return;
        }
        const value = record.value === null ? null : valueSerde.serialize(record.value);
        const due = held ?? dueTime(record.key, record.timestamp);
        const { maxRecords, maxBytes } = suppressed.buffer;
        const size = key.length + (value?.length ?? 0);
        const full =
          held === undefined && (buffer.count + 1 > maxRecords || buffer.heldBytes + size > maxBytes);
        if (full) return context.forward(record);
        buffer.put({ key, value, timestamp: record.timestamp }, due);
      },
    };
  };
}
