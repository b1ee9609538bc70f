/**
 * Writes the demo's bundled data (`npm run demo` replays it): demo/capture.pcapng, a synthetic monitor-mode
 * capture of about 90 s, and demo/devices.json, names for most of the devices in it. Deterministic: the same
 * files every run. `npx tsx scripts/make-demo-data.ts` after changing the generator.
 */
import { writeFileSync } from 'node:fs';
import { syntheticFrames, writePcapng } from '../src/capture/synthetic.js';
import type { DeviceRecord } from '../src/probes/schemas.js';

const SEED = 2020;
const frames = syntheticFrames({ seed: SEED, devices: 40, frames: 2500, maxGapUs: 72_000 });
writeFileSync(new URL('../demo/capture.pcapng', import.meta.url), writePcapng(frames));

const NAMES = [
  'Kitchen iPad',
  "Alice's iPhone",
  'Living room TV',
  'Work laptop',
  'Printer',
  'Pixel 8',
  'Garden camera',
  '<b>Guest</b> & friends',
];
const probing = [...new Set(frames.filter((f) => f.kind === 'probe-request').map((f) => f.sa))].sort();
const devices: DeviceRecord[] = probing
  .filter((_, i) => i % 3 !== 2)
  .map((mac, i) => ({
    mac,
    source: 'user',
    name: `${NAMES[i % NAMES.length]}${i >= NAMES.length ? ` ${Math.floor(i / NAMES.length) + 1}` : ''}`,
    ip: `192.168.1.${20 + i}`,
    model: null,
    type: null,
    is_guest: i % 5 === 4,
  }));
writeFileSync(new URL('../demo/devices.json', import.meta.url), `${JSON.stringify(devices, null, 2)}\n`);
const span = Number((frames.at(-1)?.timeUs ?? 0n) - (frames[0]?.timeUs ?? 0n)) / 1e6;
process.stdout.write(
  `demo/capture.pcapng: ${frames.length} frames, ${probing.length} probing devices; demo/devices.json: ${devices.length} names; the capture spans ${span.toFixed(0)} s\n`,
);
