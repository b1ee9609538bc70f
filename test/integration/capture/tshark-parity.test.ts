/**
 * probestream's own readers must agree with Wireshark: the same captures read by the native pcap/pcapng reader,
 * by the original `tshark -T ek -e … | jq -c '{timestamp: .timestamp} + .layers'` pipeline, by tshark run
 * through src/capture/tshark.ts, and by tshark's full EK output (no `-e`, raw or through the same jq) give
 * the same records and the same per-device statistics. This needs the real tshark and jq (.ci/run installs them): without them it fails.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEkLines } from '../../../src/capture/ek.js';
import { readCaptureFile } from '../../../src/capture/pcap-file.js';
import {
  expectedRecord,
  type PcapngWriteOptions,
  type PcapWriteOptions,
  type SyntheticFrame,
  syntheticFrames,
  writePcap,
  writePcapng,
} from '../../../src/capture/synthetic.js';
import { captureWithTshark, TSHARK_FIELDS, tsharkVersion } from '../../../src/capture/tshark.js';
import { type PcapValue, readProbeRequest } from '../../../src/probes/pcap.js';

const INSTALL_HINT =
  'the tshark parity tests need tshark and jq: install them (Debian: apt-get install tshark jq; .ci/run does)';

/** The original capture pipeline, word for word; the file path comes in as $1, never inside the script. */
const ORIGINAL_PIPELINE = `tshark -r "$1" -T ek ${TSHARK_FIELDS.map((field) => `-e ${field}`).join(' ')} | jq -c '{timestamp: .timestamp} + .layers'`;

/** The original pipeline's jq over tshark's full output (no `-e`): the protocol objects beside the time. */
const FULL_EK_PIPELINE = `tshark -r "$1" -T ek | jq -c '{timestamp: .timestamp} + .layers'`;

let tools: Promise<string> | undefined;

/** Fails the calling test, with a message saying what to install, when tshark or jq is missing. */
function requireTools(): Promise<string> {
  tools ??= (async () => {
    let version: string;
    try {
      version = (await tsharkVersion()).version;
    } catch (error) {
      throw new Error(`${INSTALL_HINT} (${(error as Error).message})`);
    }
    const jq = await run('jq', ['--version']).catch((error: Error) => ({ code: -1, stderr: error.message }));
    if (jq.code !== 0) throw new Error(`${INSTALL_HINT} (jq: ${jq.stderr.trim()})`);
    return version;
  })();
  return tools;
}

async function run(
  command: string,
  args: readonly string[],
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  return { ...(await finished(child)), stderr: await text(child.stderr) };
}

function finished(child: ReturnType<typeof spawn>): Promise<{ code: number | null }> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve({ code }));
  });
}

async function text(stream: Readable): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

async function collect(records: AsyncIterable<PcapValue>): Promise<PcapValue[]> {
  const out: PcapValue[] = [];
  for await (const record of records) out.push(record);
  return out;
}

/** Records from a shell pipeline's stdout, read by the EK reader; fails with its stderr if it fails. */
async function pipelineRecords(
  script: string,
  path: string,
): Promise<{ records: PcapValue[]; stderr: string }> {
  const child = spawn('sh', ['-c', script, 'sh', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr = text(child.stderr);
  const reader = readEkLines(child.stdout, { source: script });
  const records = await collect(reader);
  const { code } = await finished(child);
  expect(code, await stderr).toBe(0);
  expect(reader.stats.invalid, JSON.stringify(reader.stats.invalidLines)).toBe(0);
  return { records, stderr: await stderr };
}

interface DeviceStats {
  probeCount: number;
  firstProbe: number;
  lastProbe: number;
  ssids: (string | null)[];
}

/** Per source MAC of the probe requests: what the topology aggregates, computed the simple way. */
function deviceStats(records: readonly PcapValue[]): Record<string, DeviceStats> {
  const devices = new Map<
    string,
    { probeCount: number; firstProbe: number; lastProbe: number; ssids: Set<string | null> }
  >();
  for (const record of records) {
    const probe = readProbeRequest(record);
    if (probe === undefined) continue;
    const device = devices.get(probe.mac) ?? {
      probeCount: 0,
      firstProbe: Number.POSITIVE_INFINITY,
      lastProbe: Number.NEGATIVE_INFINITY,
      ssids: new Set<string | null>(),
    };
    device.probeCount += 1;
    device.firstProbe = Math.min(device.firstProbe, probe.timestamp);
    device.lastProbe = Math.max(device.lastProbe, probe.timestamp);
    device.ssids.add(probe.ssid);
    devices.set(probe.mac, device);
  }
  const out: Record<string, DeviceStats> = {};
  for (const [mac, device] of [...devices].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const ssids = [...device.ssids].sort((a, b) =>
      a === b ? 0 : a === null ? -1 : b === null ? 1 : a < b ? -1 : 1,
    );
    out[mac] = { ...device, ssids };
  }
  return out;
}

const LATIN1_CAFE = Uint8Array.of(0x43, 0x61, 0x66, 0xe9);

/**
 * A crowd from the generator, then one of every case the parity must hold for, so that no seed can leave one
 * out: probes with and without an SSID, wildcard, non-ASCII, bytes that are not UTF-8, the longest SSID,
 * hidden-network beacons and data frames both ways.
 */
function captureFrames(): SyntheticFrame[] {
  const crowd = syntheticFrames({ seed: 20200422, devices: 40, frames: 1500 });
  let timeUs = (crowd.at(-1)?.timeUs ?? 1587564340123000n) + 1000n;
  const at = (frame: Omit<SyntheticFrame, 'timeUs'>): SyntheticFrame => {
    timeUs += 1_234n;
    return { ...frame, timeUs };
  };
  const phone = '02:00:5e:10:00:01';
  const ap = '00:11:22:33:44:55';
  const broadcast = 'ff:ff:ff:ff:ff:ff';
  const probe = (ssid: SyntheticFrame['ssid'], signalDbm: number | null = -60) =>
    at({ kind: 'probe-request', sa: phone, da: broadcast, bssid: broadcast, ssid, signalDbm });
  return [
    ...crowd,
    probe('RNM0'),
    probe(''),
    probe(null),
    probe('Café ☕ 東京'),
    probe(LATIN1_CAFE),
    probe(Uint8Array.of(0xff, 0xfe, 0x00, 0x41)),
    probe('x'.repeat(32), null),
    at({ kind: 'probe-request', sa: phone, da: ap, bssid: ap, ssid: 'HomeHub-5G', signalDbm: -41 }),
    at({ kind: 'beacon', sa: ap, da: broadcast, bssid: ap, ssid: '', signalDbm: -30 }),
    at({ kind: 'beacon', sa: ap, da: broadcast, bssid: ap, ssid: new Uint8Array(8), signalDbm: -30 }),
    at({ kind: 'data', sa: phone, da: '00:aa:bb:cc:dd:ee', bssid: ap, direction: 'to-ds', signalDbm: -50 }),
    at({ kind: 'data', sa: '00:aa:bb:cc:dd:ee', da: phone, bssid: ap, direction: 'from-ds', signalDbm: -45 }),
  ];
}

type Capture =
  | { readonly name: string; readonly format: 'pcap'; readonly options: PcapWriteOptions }
  | { readonly name: string; readonly format: 'pcapng'; readonly options: PcapngWriteOptions };

const CAPTURES: readonly Capture[] = [
  { name: 'pcap, microseconds', format: 'pcap', options: {} },
  { name: 'pcap, nanoseconds, with FCS', format: 'pcap', options: { nanosecond: true, fcs: true } },
  { name: 'pcap, big-endian', format: 'pcap', options: { bigEndian: true } },
  { name: 'pcapng', format: 'pcapng', options: {} },
  {
    name: 'pcapng, three interfaces and resolutions, with FCS',
    format: 'pcapng',
    options: { tsresol: [6, 9, 0x94], fcs: true },
  },
  { name: 'pcapng, plain 802.11 (no radiotap)', format: 'pcapng', options: { linktype: 105 } },
];

describe('tshark parity', () => {
  const frames = captureFrames();
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'probestream-parity-'));
  });

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('captures every kind of frame the parity must hold for', () => {
    const probes = frames.filter((frame) => frame.kind === 'probe-request');
    expect(probes.some((frame) => frame.ssid === null || frame.ssid === undefined)).toBe(true);
    expect(probes.some((frame) => frame.ssid === '')).toBe(true);
    expect(probes.some((frame) => typeof frame.ssid === 'string' && /[^\x20-\x7e]/.test(frame.ssid))).toBe(
      true,
    );
    expect(probes.some((frame) => frame.ssid instanceof Uint8Array)).toBe(true);
    expect(frames.some((frame) => frame.kind === 'beacon')).toBe(true);
    expect(frames.some((frame) => frame.kind === 'data')).toBe(true);
  });

  for (const capture of CAPTURES) {
    it(`reads a ${capture.name} capture exactly as tshark does`, async () => {
      await requireTools();
      const path = join(dir, `${capture.name.replace(/\W+/g, '-')}.${capture.format}`);
      const bytes =
        capture.format === 'pcap' ? writePcap(frames, capture.options) : writePcapng(frames, capture.options);
      await writeFile(path, bytes);

      const native = await collect(readCaptureFile(path));
      const original = await pipelineRecords(ORIGINAL_PIPELINE, path);
      const viaModule = await collect(captureWithTshark({ file: path }));
      const fullEk = await pipelineRecords('tshark -r "$1" -T ek', path);
      const fullEkFlattened = await pipelineRecords(FULL_EK_PIPELINE, path);
      const expected = frames.map((frame) => expectedRecord(frame, { linktype: capture.options.linktype }));

      // Record by record, so that a failure names the first frame that differs.
      expect(original.records.length, original.stderr).toBe(frames.length);
      for (let i = 0; i < frames.length; i++) {
        const where = `frame ${i + 1} of ${capture.name}`;
        expect(native[i], `${where}: native reader vs the original pipeline`).toEqual(original.records[i]);
        expect(viaModule[i], `${where}: src/capture/tshark.ts vs the original pipeline`).toEqual(
          original.records[i],
        );
        expect(fullEk.records[i], `${where}: full EK output vs the original pipeline`).toEqual(
          original.records[i],
        );
        expect(fullEkFlattened.records[i], `${where}: flattened full EK vs the original pipeline`).toEqual(
          original.records[i],
        );
        expect(expected[i], `${where}: expectedRecord vs the original pipeline`).toEqual(original.records[i]);
      }
      expect(native).toHaveLength(frames.length);
      expect(viaModule).toHaveLength(frames.length);
      expect(fullEk.records).toHaveLength(frames.length);
      expect(fullEkFlattened.records).toHaveLength(frames.length);

      const stats = deviceStats(original.records);
      expect(Object.keys(stats).length).toBeGreaterThan(10);
      expect(deviceStats(native)).toEqual(stats);
      expect(deviceStats(viaModule)).toEqual(stats);
      expect(deviceStats(fullEk.records)).toEqual(stats);
      expect(deviceStats(fullEkFlattened.records)).toEqual(stats);
    });
  }

  it('counts the wildcard, absent, non-ASCII and non-UTF-8 SSIDs of one device alike in every reader', async () => {
    await requireTools();
    const path = join(dir, 'one-device.pcapng');
    await writeFile(path, writePcapng(frames.slice(-12)));
    const stats = deviceStats((await pipelineRecords(ORIGINAL_PIPELINE, path)).records);
    expect(stats['02:00:5e:10:00:01']).toEqual({
      probeCount: 8,
      firstProbe: Number((frames.at(-12)?.timeUs ?? 0n) / 1000n),
      lastProbe: Number((frames.at(-5)?.timeUs ?? 0n) / 1000n),
      ssids: [
        null,
        '',
        'Caf\\xe9',
        'Café ☕ 東京',
        'HomeHub-5G',
        'RNM0',
        '\\xff\\xfe\u0000A',
        'x'.repeat(32),
      ],
    });
    expect(deviceStats(await collect(readCaptureFile(path)))).toEqual(stats);
  });
});
