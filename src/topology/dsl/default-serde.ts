import type { Serde } from '../../serdes/index.js';

/**
 * The serde the DSL uses for a type when the caller names none: the stream's own, or strings. As with Kafka
 * Streams' default serdes, the types agreeing is the caller's word, not something the compiler can check:
 * this is the DSL's one unchecked conversion of a serde.
 */
export function defaultSerde<T>(serde: Serde<unknown>): Serde<T> {
  return serde as Serde<T>;
}
