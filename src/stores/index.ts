/**
 * State stores: the KeyValueStore interface, in-memory and LevelDB stores, and the caching and
 * change-logging decorators that replicate them to compacted changelog topics. Empty until the engine and
 * state issues land.
 */
export {};
