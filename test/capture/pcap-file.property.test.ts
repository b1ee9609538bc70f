/**
 * Property-based: the pcap/pcapng reader on random and mutated files throws only CaptureError, reads every
 * frame into a record or counts it as skipped, and never hangs.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/capture/errors.js';
import { readCaptureFile } from '../../src/capture/pcap-file.js';
import { syntheticFrames, writePcap, writePcapng } from '../../src/capture/synthetic.js';
import { handledInTime, mutated, PROPERTY_RUNS } from '../support/properties.js';

const dir = mkdtempSync(join(tmpdir(), 'probestream-pcap-property-'));
const path = join(dir, 'capture');
const frames = syntheticFrames({ seed: 3, devices: 4, frames: 12 });
const captures = [
  writePcap(frames),
  writePcap(frames, { bigEndian: true, nanosecond: true, fcs: true }),
  writePcapng(frames),
  writePcapng(frames, { tsresol: [6, 9, 0x80 | 20], fcs: true }),
];
const PCAP_MAGIC = Uint8Array.of(0xd4, 0xc3, 0xb2, 0xa1);
const PCAPNG_MAGIC = Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a);

/** Random bytes, random bytes behind a real magic number, and real captures mutated. */
const files = fc.oneof(
  fc.uint8Array({ maxLength: 600 }),
  fc
    .tuple(fc.constantFrom(PCAP_MAGIC, PCAPNG_MAGIC), fc.uint8Array({ maxLength: 600 }))
    .map(([magic, rest]) => Buffer.concat([magic, rest])),
  fc.constantFrom(...captures).chain((capture) => mutated(capture)),
);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the pcap and pcapng reader on random and mutated files', () => {
  it('throws only CaptureError, and accounts for every frame it read', async () => {
    await fc.assert(
      fc.asyncProperty(files, async (bytes) => {
        writeFileSync(path, bytes);
        await handledInTime(
          async () => {
            const reader = readCaptureFile(path, { chunkSize: 256 });
            let records = 0;
            try {
              for await (const _ of reader) records += 1;
            } finally {
              expect(reader.stats.framesRead).toBe(records);
            }
          },
          (error) => error instanceof CaptureError,
        );
      }),
      { ...PROPERTY_RUNS, numRuns: 200 },
    );
  });
});
