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
}

export const Stores = {
  /**
   * A key-value store: in LevelDB unless `persistent` is false, replicated to a changelog topic unless
   * `logging` is false.
   */
  keyValueStore<K, V>(options: {
    name: string;
    keySerde: Serde<K>;
    valueSerde: Serde<V>;
    logging?: boolean;
    persistent?: boolean;
  }): StoreBuilder<K, V> {
    if (typeof options?.name !== 'string' || !/^[A-Za-z0-9._-]+$/.test(options.name)) {
      throw new TypeError(
        `a store name is letters, digits, '.', '_' and '-': ${JSON.stringify(options?.name)}`,
      );
    }
    return Object.freeze({
      name: options.name,
      keySerde: options.keySerde,
      valueSerde: options.valueSerde,
      logging: options.logging ?? true,
      persistent: options.persistent ?? true,
    });
  },
};
