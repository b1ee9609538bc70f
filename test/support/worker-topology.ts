/**
 * A topology for WorkerStreams tests: built here and, from this module, in the engine's worker thread.
 * Counts records by key into the store `counts` (LevelDB) and keeps the last value per key in `last`.
 */
import { Serdes, StreamsBuilder, type Topology } from '../../src/topology/index.js';

export interface CountTopologyArgs {
  readonly input: string;
  /** A second, different topology (for the mismatch test) when true. */
  readonly variant?: boolean;
  /**
   * When given, a record with the value `block` holds the worker: it sets [1] to 1, then waits until [0]
   * is no longer 0. Lets a test see what answers while the worker cannot.
   */
  readonly gate?: SharedArrayBuffer;
  /** When true, a record with the value `exit` ends the worker thread (process.exit in a worker). */
  readonly exitOnRecord?: boolean;
}

export function buildCountTopology(args: CountTopologyArgs): Topology {
  const builder = new StreamsBuilder();
  const gate = args.gate ? new Int32Array(args.gate) : undefined;
  const stream = builder
    .stream<string, string>(args.input, { valueSerde: Serdes.String() })
    .peek((_key, value) => {
      if (value === 'exit' && args.exitOnRecord) process.exit(7);
      if (value !== 'block' || !gate) return;
      Atomics.store(gate, 1, 1);
      Atomics.wait(gate, 0, 0, 30_000);
    });
  stream.groupByKey().count(args.variant ? 'other-counts' : 'counts');
  stream.groupByKey().reduce((_previous, value) => value, { storeName: 'last', persistent: false });
  return builder.build();
}

export const COUNT_TOPOLOGY_MODULE = new URL(
  `./worker-topology${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`,
  import.meta.url,
).href;
