/**
 * Shared pieces of the property-based tests (fast-check): a run count and time budget that keep them cheap
 * on a shared 2-core machine, and the check that an input is handled within a time limit (no hang).
 */
import fc from 'fast-check';
import { expect } from 'vitest';

/** Runs per property, and the most one property may take before fast-check stops it (a pass, not a fail). */
export const PROPERTY_RUNS = { numRuns: 300, interruptAfterTimeLimit: 8_000 } as const;

/** Longest a single input may take to be handled: far above any real input, far below a hang. */
export const PER_INPUT_MS = 1_000;

/** Checks that `run` ends within PER_INPUT_MS, and that anything it throws passes `expected`. */
export async function handledInTime(
  run: () => unknown,
  expected: (error: unknown) => boolean,
): Promise<void> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), PER_INPUT_MS);
  });
  try {
    const outcome = await Promise.race([Promise.resolve().then(run), limit]);
    expect(outcome, 'the input was not handled in time').not.toBe('timeout');
  } catch (error) {
    if (!expected(error)) throw error;
  } finally {
    clearTimeout(timer);
  }
  expect(performance.now() - started).toBeLessThan(PER_INPUT_MS);
}

/**
 * JSON values with the shapes a `pcap` record's fields take, and wrong ones, as JSON.parse gives them: an
 * object whose valueOf and toString are not functions is among them (String() and Number() throw on it).
 */
export const jsonish: fc.Arbitrary<unknown> = fc
  .letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.boolean(),
      fc.double(),
      fc.integer(),
      fc.string(),
      fc.constantFrom('4', '0x0004', '8', '0x0020', '', '<MISSING>', 'a4:83:e7:4e:39:15', '-67', '524e4d30'),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 3 }),
      fc.constant({ valueOf: 1, toString: 1 }),
    ),
  }))
  .value.map((value) => JSON.parse(JSON.stringify(value) ?? 'null') as unknown);

/** A byte array with up to `count` of its bytes replaced, cut short, or extended: corrupt files. */
export function mutated(base: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.option(fc.nat(), { nil: undefined }),
      fc.uint8Array({ maxLength: 64 }),
    )
    .map(([changes, cut, tail]) => {
      const bytes = Uint8Array.from(base);
      for (const [at, value] of changes) if (bytes.length > 0) bytes[at % bytes.length] = value;
      const kept = cut === undefined || bytes.length === 0 ? bytes : bytes.subarray(0, cut % bytes.length);
      return Buffer.concat([kept, tail]);
    });
}
