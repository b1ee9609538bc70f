import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * `npx tsx bench/profile-summary.ts <folder> [--records <n>]`: sums the V8 CPU profiles that
 * `node --cpu-prof` wrote into <folder> (one per thread; BENCH_CPU_PROF=<folder> makes the kafka-streams
 * suite run probestream so), and prints, per thread, where its CPU went: self time by layer (Node's
 * internals and builtins charged to the layer that called them) and the functions with the most self time, in ms and,
 * with --records, in µs per input record.
 */

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const ROOT = fileURLToPath(new URL('..', import.meta.url));

const INTERNAL = 'Node.js internals';

/** The layer a frame belongs to, from its file (first match wins). */
const LAYERS: readonly [string, RegExp][] = [
  [
    'kafkajs produce (grouping, encoding)',
    /kafkajs\/src\/(producer\/|protocol\/(requests\/produce\/|encoder|recordBatch\/(v0\/index|record\/v0\/index|crc32C)))/,
  ],
  [
    'kafkajs fetch (decoding)',
    /kafkajs\/src\/(consumer\/|protocol\/(decoder|requests\/fetch\/|recordBatch\/(v0\/decoder|record\/v0\/decoder|header)))/,
  ],
  ['kafkajs other (network, Long, metadata)', /kafkajs\//],
  [
    'native produce (record batches, native-producer)',
    /\/kafka\/(native-producer|record-batch|streams-producer)\.[jt]s/,
  ],
  ['Avro (avsc)', /avsc\//],
  [
    'LevelDB (classic-level, abstract-level)',
    /(classic-level|abstract-level|level-transcoder|module-error|maybe-combine-errors)\//,
  ],
  ['stores (src/stores)', /\/(src|dist)\/stores\//],
  ['mirror and worker messages', /\/runtime\/worker\//],
  [
    'commit (commit, record-collector, produce limits, record size)',
    /\/(runtime\/(commit|record-collector|produce-limits|dead-letter)|kafka\/record-size)\.[jt]s/,
  ],
  ['fetch (partition-reader)', /\/kafka\/partition-reader\.[jt]s/],
  ['tasks and processors (runtime, dsl)', /\/(src|dist)\/topology\//],
  ['probe application (pcap reading, stats)', /\/(src|dist)\/probes\//],
  ['API and CLI', /\/(src|dist)\/(api|cli|bot)\/|fastify|pino|prom-client|ajv|light-my-request/],
  [INTERNAL, /^node:|^internal\//],
];

function ownLayer(url: string, functionName: string): string {
  if (url === '') {
    if (functionName === '(garbage collector)') return 'garbage collector';
    if (functionName === '(program)' || functionName === '(idle)' || functionName === '(root)')
      return functionName;
    return INTERNAL;
  }
  for (const [layer, pattern] of LAYERS) if (pattern.test(url)) return layer;
  return 'other';
}

/**
 * The layer a node's self time is charged to: its own, or for Node's internals and builtins (Buffer
 * allocation and copies, TextDecoder, postMessage, the readers and writers avsc generates...) the layer
 * of the nearest caller that has one, which is what asked for the work.
 */
function layerOf(node: ProfileNode, parents: ReadonlyMap<number, ProfileNode>): string {
  for (let at: ProfileNode | undefined = node; at; at = parents.get(at.id)) {
    const layer = ownLayer(at.callFrame.url, at.callFrame.functionName);
    if (layer !== INTERNAL) return layer;
  }
  return INTERNAL;
}

/** Self time in ms of every node, from the samples and their time deltas (µs). */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const times = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    // A sample's delta is the time since the previous one: that time is charged to this sample's node.
    const delta = (profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0) / 1000;
    times.set(id, (times.get(id) ?? 0) + delta);
  }
  return times;
}

function where(url: string, line: number): string {
  const path = url.startsWith('file://') ? relative(ROOT, fileURLToPath(url)) : url;
  return `${path.replace(/^node_modules\//, '')}:${line + 1}`;
}

function table(rows: readonly [string, number][], total: number, perRecord: (ms: number) => string): string {
  return rows
    .map(
      ([name, ms]) =>
        `  ${ms.toFixed(0).padStart(7)} ms ${((ms / total) * 100).toFixed(1).padStart(5)} %${perRecord(ms)}  ${name}`,
    )
    .join('\n');
}

async function summarize(file: string, records: number | undefined, top: number): Promise<string> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const times = selfTimes(profile);
  const parents = new Map<number, ProfileNode>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node);
  const byLayer = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const ms = times.get(node.id) ?? 0;
    if (ms === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const layer = layerOf(node, parents);
    if (layer === '(idle)') continue;
    busy += ms;
    byLayer.set(layer, (byLayer.get(layer) ?? 0) + ms);
    const name = `${functionName || '(anonymous)'} ${url ? where(url, lineNumber) : ''} [${layer}]`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  }
  const perRecord = (ms: number) =>
    records === undefined ? '' : ` ${((ms * 1000) / records).toFixed(2).padStart(6)} µs/record`;
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]);
  const wall = (profile.endTime - profile.startTime) / 1e6;
  return [
    `${file}: ${busy.toFixed(0)} ms on CPU (not idle) over ${wall.toFixed(1)} s${perRecord(busy)}`,
    'by layer (self time):',
    table(sorted(byLayer), busy, perRecord),
    `top ${top} functions (self time):`,
    table(sorted(byFunction).slice(0, top), busy, perRecord),
  ].join('\n');
}

async function main(args: string[]): Promise<void> {
  const folder = args.find((arg) => !arg.startsWith('--'));
  if (!folder)
    throw new Error('usage: npx tsx bench/profile-summary.ts <folder> [--records <n>] [--top <n>]');
  const option = (name: string) => {
    const at = args.indexOf(name);
    return at < 0 ? undefined : Number(args[at + 1]);
  };
  const files = (await readdir(folder)).filter((file) => file.endsWith('.cpuprofile')).sort();
  for (const file of files) {
    process.stdout.write(
      `${await summarize(join(folder, file), option('--records'), option('--top') ?? 30)}\n\n`,
    );
  }
}

await main(process.argv.slice(2));
