import type { Serde } from '../serdes/index.js';

/**
 * How to make a key-value store for each task. The engine builds the stack itself (metered → caching →
 * change-logging → in-memory), so a builder only says what the store holds and whether it is logged.
 */
export interface StoreBuilder<K = unknown, V = unknown> {
  readonly name: string;
  readonly keySerde: Serde<K>;
  readonly valueSerde: Serde<V>;
  /**
   * True (the default): every committed change goes to `<application.id>-<name>-changelog`, compacted, and
   * the store is rebuilt from it wherever its task runs.
   */
  readonly logging: boolean;
  /**
   * True (the default): kept in LevelDB under the state directory, with the changelog offset it reflects,
   * so a restart restores only what it missed. False: in memory, rebuilt from the changelog at every start.
   */
  readonly persistent: boolean;
  /**
   * A store that mirrors a source topic (a KTable from `builder.table`) is rebuilt from that topic and needs
   * no changelog of its own.
   */
  readonly sourceTopic?: string;
  /**
   * What processors get from `getStateStore`: a KeyValueStore (the default), a WindowStore or a
   * SessionStore. The two windowed kinds lay their entries out in a key-value store of bytes (see
   * src/stores/window-layout.ts), so they are cached, logged, checkpointed and restored like any other.
   */
  readonly type?: 'keyValue' | 'window' | 'session' | 'suppression';
  /** Window and session stores: how long stream time keeps a window (a session) after its start (end). */
  readonly retentionMs?: number;
  /** Window stores: the size of their windows. */
  readonly windowSizeMs?: number;
  /** Window stores of sliding windows: they also index each key's window starts (SlidingWindowStore). */
  readonly sliding?: boolean;
}

function checkName(name: unknown): void {
  if (typeof name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(name)) {
    throw new TypeError(`a store name is letters, digits, '.', '_' and '-': ${JSON.stringify(name)}`);
  }
}

function checkDuration(what: string, ms: unknown): number {
  if (typeof ms !== 'number' || !Number.isSafeInteger(ms) || ms <= 0)
    throw new TypeError(`${what} must be a positive whole number of milliseconds: ${String(ms)}`);
  return ms;
}

interface StoreOptions<K, V> {
  name: string;
  keySerde: Serde<K>;
  valueSerde: Serde<V>;
  logging?: boolean;
  persistent?: boolean;
}

export const Stores = {
  /**
   * A key-value store: in LevelDB unless `persistent` is false, replicated to a changelog topic unless
   * `logging` is false.
   */
  keyValueStore<K, V>(options: StoreOptions<K, V>): StoreBuilder<K, V> {
    checkName(options?.name);
    return Object.freeze({
      name: options.name,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      logging: options.logging ?? true,
      persistent: options.persistent ?? true,
    });
  },

  /**
   * A window store: per key, a value per window start, kept for `retentionMs` of stream time after the
   * window starts (at least the window's size plus grace), then deleted segment by segment.
   */
  windowStore<K, V>(
    options: StoreOptions<K, V> & { retentionMs: number; windowSizeMs: number; sliding?: boolean },
  ): StoreBuilder<K, V> {
    const base = Stores.keyValueStore(options);
    const retentionMs = checkDuration('a window store retention', options.retentionMs);
    const windowSizeMs = checkDuration('a window size', options.windowSizeMs);
    const sliding = options.sliding === true ? { sliding: true } : {};
    return Object.freeze({ ...base, type: 'window' as const, retentionMs, windowSizeMs, ...sliding });
  },

  /** A session store: per key, its sessions, kept for `retentionMs` of stream time after they end. */
  sessionStore<K, V>(options: StoreOptions<K, V> & { retentionMs: number }): StoreBuilder<K, V> {
    const base = Stores.keyValueStore(options);
    const retentionMs = checkDuration('a session store retention', options.retentionMs);
    return Object.freeze({ ...base, type: 'session' as const, retentionMs });
  },
};
