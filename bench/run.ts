import { apiSuite } from './api.js';
import { chaosSuite } from './chaos.js';
import { engineSuite } from './engine.js';
import { kafkaStreamsSuite } from './kafka-streams.js';
import { probesSuite } from './probes.js';
import { sqlSuite } from './sql.js';
import { stateSuite } from './state.js';
import { type BenchSuite, benchBroker, keyCount, log, recordCount } from './support.js';

/**
 * `npm run bench -- [suite...] [--duration <seconds>] [--records <n>]`: runs the named suites (when none is
 * named, all but those that run only when named: chaos, kafka-streams) against one broker, printing figures
 * as JSON lines on stdout and progress on stderr. `--duration` sets how long the suites that run for a set
 * time (chaos) run; `--records` sets BENCH_RECORDS.
 *
 * Environment: KAFKA_BROKERS (host:port,...; default: a local broker started and stopped here),
 * BENCH_RECORDS (records per suite; default 1,000,000) and BENCH_KEYS (distinct keys the state suite
 * restores and holds; default 1,000,000). `npm run bench` runs node with --expose-gc, so that memory
 * figures can collect garbage first. Exit status: 0 when every suite ran and its checks held, 1 when one
 * failed, 2 on a usage error (an unknown suite, a bad BENCH_RECORDS or BENCH_KEYS).
 */

const SUITES: readonly BenchSuite[] = [
  engineSuite,
  stateSuite,
  probesSuite,
  apiSuite,
  sqlSuite,
  chaosSuite,
  kafkaStreamsSuite,
];

/** After the suites, the process should end on its own; if it has not by then, something was left open. */
const EXIT_GRACE_MS = 10_000;

function usage(): string {
  const list = SUITES.map((suite) => `  ${suite.name.padEnd(10)} ${suite.description}`).join('\n');
  return `usage: npm run bench -- [suite...] [--duration <seconds>] [--records <n>]\nsuites:\n${list}\n`;
}

/** `--records <n>` taken out of `args` into BENCH_RECORDS (which recordCount checks). */
function takeRecords(args: string[]): void {
  const at = args.indexOf('--records');
  if (at < 0) return;
  const [, value] = args.splice(at, 2);
  process.env.BENCH_RECORDS = value ?? '(none)';
}

/** `--duration <seconds>` taken out of `args`: undefined when absent, NaN when not a positive number. */
function takeDuration(args: string[]): number | undefined {
  const at = args.indexOf('--duration');
  if (at < 0) return undefined;
  const [, value] = args.splice(at, 2);
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : Number.NaN;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write(usage());
    return 0;
  }
  const args = [...argv];
  const durationMs = takeDuration(args);
  takeRecords(args);
  if (Number.isNaN(durationMs)) {
    process.stderr.write(`--duration needs a number of seconds\n${usage()}`);
    return 2;
  }
  const names =
    args.length > 0
      ? [...new Set(args)]
      : SUITES.filter((suite) => !suite.onlyWhenNamed).map((suite) => suite.name);
  const unknown = names.filter((name) => !SUITES.some((suite) => suite.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown suite: ${unknown.join(', ')}\n${usage()}`);
    return 2;
  }
  let records: number;
  let keys: number;
  try {
    records = recordCount();
    keys = keyCount();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  const suites = names.map((name) => SUITES.find((suite) => suite.name === name) as BenchSuite);

  // kafkajs warns once about its v2 partitioner unless told not to; the suites choose theirs explicitly.
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  let broker: Awaited<ReturnType<typeof benchBroker>>;
  try {
    broker = await benchBroker();
  } catch (error) {
    log(`no broker: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
  let failed = 0;
  try {
    for (const suite of suites) {
      log(`suite ${suite.name}: ${records} records`);
      try {
        await suite.run({
          brokers: broker.brokers,
          records,
          keys,
          durationMs,
          restartBroker: broker.restart,
        });
        log(`suite ${suite.name}: done`);
      } catch (error) {
        failed += 1;
        log(`suite ${suite.name} failed: ${(error as Error).stack ?? String(error)}`);
      }
    }
  } finally {
    if (broker.local) log('stopping the local broker');
    await broker.stop().catch((error) => log(`could not stop the broker: ${String(error)}`));
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));

// Not keeping the process alive itself: it fires only if something the suites opened still does.
setTimeout(() => {
  log(`still running ${EXIT_GRACE_MS} ms after the suites ended; open: ${process.getActiveResourcesInfo()}`);
  process.exit(process.exitCode || 1);
}, EXIT_GRACE_MS).unref();
