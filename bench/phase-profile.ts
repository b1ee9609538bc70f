import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

/**
 * Profiles one phase of a suite on this thread: with BENCH_CPU_PROF=<folder>, `run` is recorded by V8's
 * CPU profiler and written to `<folder>/<suite>-<phase>.cpuprofile`, which `bench/profile-summary.ts`
 * reads. A whole-process `--cpu-prof` mixes loading the data with the phase measured; this does not.
 * Without BENCH_CPU_PROF it only runs `run`.
 */
export async function profilePhase<T>(suite: string, phase: string, run: () => Promise<T>): Promise<T> {
  const folder = process.env.BENCH_CPU_PROF;
  if (!folder) return run();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await run();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    await writeFile(join(folder, `${suite}-${phase}.cpuprofile`), JSON.stringify(profile));
  }
}
