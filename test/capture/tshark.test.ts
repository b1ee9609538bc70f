import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureError } from '../../src/capture/errors.js';
import { captureWithTshark, TSHARK_FIELDS, tsharkArgs, tsharkVersion } from '../../src/capture/tshark.js';
import type { PcapValue } from '../../src/probes/pcap.js';

// These tests run a stand-in for tshark (a shell script), so they need no tshark and no capture rights.
const INDEX = '{"index":{"_index":"packets-2020-04-22","_type":"doc"}}';
const PROBE =
  '{"timestamp":"1587564340123","layers":{"wlan_fc_type_subtype":["0x0004"],"wlan_sa":["a4:83:e7:4e:39:15"],' +
  '"wlan_ssid":["524e4d30"]}}';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'probestream-tshark-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Writes an executable sh script standing in for tshark; `$PIDS` is a file it may write process ids to. */
async function fakeTshark(name: string, body: string): Promise<{ path: string; pids: string }> {
  const path = join(dir, name);
  const pids = join(dir, `${name}.pids`);
  await writeFile(path, `#!/bin/sh\nPIDS='${pids}'\n${body}\n`);
  await chmod(path, 0o755);
  return { path, pids };
}

/** Whether a process is running; a zombie left for an init that does not reap counts as gone. */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

async function drain(capture: AsyncIterable<PcapValue>): Promise<PcapValue[]> {
  const records: PcapValue[] = [];
  for await (const record of capture) records.push(record);
  return records;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('tsharkArgs', () => {
  it('asks for the original pipeline fields in EK, flushed per frame', () => {
    expect(tsharkArgs({ interface: 'wlan0mon', monitorMode: true, captureFilter: 'type mgt' })).toEqual([
      '-i',
      'wlan0mon',
      '-I',
      '-f',
      'type mgt',
      '-l',
      '-n',
      '-T',
      'ek',
      ...TSHARK_FIELDS.flatMap((field) => ['-e', field]),
    ]);
    expect(TSHARK_FIELDS).toEqual([
      'wlan.fc.type_subtype',
      'wlan_radio.signal_dbm',
      'wlan.sa',
      'wlan.da',
      'wlan.bssid',
      'wlan.ssid',
    ]);
  });

  it('reads a file with -r, keeping every frame unless a filter is given', () => {
    expect(tsharkArgs({ file: '-odd name.pcap' }).slice(0, 3)).toEqual(['-r', '-odd name.pcap', '-l']);
    expect(tsharkArgs({ file: 'a.pcap', displayFilter: 'wlan.fc.type_subtype == 4' }).slice(2, 4)).toEqual([
      '-Y',
      'wlan.fc.type_subtype == 4',
    ]);
  });

  it('rejects an interface name that tshark would read as a flag, and other bad options', () => {
    expect(() => tsharkArgs({ interface: '-w/tmp/x' })).toThrow(TypeError);
    expect(() => tsharkArgs({ interface: '' })).toThrow(TypeError);
    expect(() => tsharkArgs({ interface: 'wlan0\n-w' })).toThrow(TypeError);
    expect(() => tsharkArgs({})).toThrow(TypeError);
    expect(() => tsharkArgs({ interface: 'wlan0', file: 'a.pcap' })).toThrow(TypeError);
    expect(() => tsharkArgs({ file: 'a.pcap', monitorMode: true })).toThrow(TypeError);
    expect(() => tsharkArgs({ file: 'a.pcap', captureFilter: 'type mgt' })).toThrow(TypeError);
    expect(() => tsharkArgs({ interface: 'wlan0', captureFilter: ' ' })).toThrow(TypeError);
    expect(() => captureWithTshark({ interface: 'wlan0', killGraceMs: -1 })).toThrow(TypeError);
  });
});

describe('captureWithTshark', () => {
  it("reads tshark's stdout as canonical records and passes its stderr lines to the log", async () => {
    const { path } = await fakeTshark(
      'ok',
      `echo "Capturing on 'wlan0mon'" >&2\necho '${INDEX}'\necho '${PROBE}'\necho '1 packet captured' >&2`,
    );
    const log: string[] = [];
    const capture = captureWithTshark({
      interface: 'wlan0mon',
      tsharkPath: path,
      log: (line) => log.push(line),
    });
    const records = await drain(capture);
    expect(records).toEqual([
      {
        timestamp: '1587564340123',
        wlan_fc_type_subtype: ['4'],
        wlan_sa: ['a4:83:e7:4e:39:15'],
        wlan_ssid: ['RNM0'],
      },
    ]);
    expect(log).toEqual(["Capturing on 'wlan0mon'", '1 packet captured']);
    expect(capture.stats).toMatchObject({ lines: 2, frames: 1, skipped: 1 });
  });

  it('fails with CAPTURE_TSHARK_NOT_FOUND when tshark is not installed', async () => {
    const capture = captureWithTshark({ file: 'a.pcap', tsharkPath: join(dir, 'no-such-tshark') });
    await expect(drain(capture)).rejects.toMatchObject({
      name: 'CaptureError',
      code: 'CAPTURE_TSHARK_NOT_FOUND',
      message: expect.stringContaining('apt-get install tshark'),
    });
  });

  it('fails with CAPTURE_TSHARK_FAILED and the tail of its stderr when tshark exits with an error', async () => {
    const { path } = await fakeTshark(
      'fails',
      `echo '${PROBE}'\necho 'tshark: There is no device named "wlan9".' >&2\nexit 1`,
    );
    const seen: PcapValue[] = [];
    const reading = (async () => {
      for await (const record of captureWithTshark({ interface: 'wlan9', tsharkPath: path }))
        seen.push(record);
    })();
    await expect(reading).rejects.toBeInstanceOf(CaptureError);
    await expect(reading).rejects.toMatchObject({
      code: 'CAPTURE_TSHARK_FAILED',
      message: expect.stringMatching(/exited with code 1:\ntshark: There is no device named "wlan9"\./),
    });
    expect(seen).toHaveLength(1);
  });

  it('stops tshark with SIGTERM on abort and ends the iteration normally', async () => {
    const { path, pids } = await fakeTshark(
      'runs',
      `echo $$ > "$PIDS"\nwhile :; do echo '${PROBE}'; sleep 0.05; done`,
    );
    const controller = new AbortController();
    const records: PcapValue[] = [];
    for await (const record of captureWithTshark({
      interface: 'wlan0',
      tsharkPath: path,
      signal: controller.signal,
    })) {
      records.push(record);
      if (records.length === 3) controller.abort();
    }
    expect(records.length).toBeGreaterThanOrEqual(3);
    const pid = Number((await readFile(pids, 'utf8')).trim());
    expect(await alive(pid)).toBe(false);
  });

  it('kills tshark and everything it started when it ignores SIGTERM, leaving no orphan', async () => {
    // The background sleep stands for dumpcap, which tshark runs for a live capture.
    const { path, pids } = await fakeTshark(
      'stubborn',
      `trap '' TERM\nsleep 600 &\necho "$$ $!" > "$PIDS"\necho '${PROBE}'\nwhile :; do sleep 0.05; done`,
    );
    const controller = new AbortController();
    const log: string[] = [];
    const started = Date.now();
    const capture = captureWithTshark({
      interface: 'wlan0',
      tsharkPath: path,
      signal: controller.signal,
      killGraceMs: 200,
      log: (line) => log.push(line),
    });
    for await (const _record of capture) controller.abort();
    expect(Date.now() - started).toBeLessThan(5000);
    const [shell, sleeper] = (await readFile(pids, 'utf8')).trim().split(' ').map(Number) as [number, number];
    await waitFor(async () => !(await alive(shell)) && !(await alive(sleeper)));
    expect(log).toContain('tshark did not exit within 200 ms of SIGTERM: killing it');
  });

  it('stops tshark when the consumer stops reading early', async () => {
    const { path, pids } = await fakeTshark(
      'endless',
      `echo $$ > "$PIDS"\nwhile :; do echo '${PROBE}'; sleep 0.05; done`,
    );
    for await (const _record of captureWithTshark({ interface: 'wlan0', tsharkPath: path })) break;
    const pid = Number((await readFile(pids, 'utf8')).trim());
    expect(await alive(pid)).toBe(false);
  });

  it('does not start tshark when the signal is already aborted', async () => {
    const { path, pids } = await fakeTshark('never', `echo $$ > "$PIDS"\necho '${PROBE}'`);
    const records = await drain(
      captureWithTshark({ file: 'a.pcap', tsharkPath: path, signal: AbortSignal.abort() }),
    );
    expect(records).toEqual([]);
    await expect(readFile(pids, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('throws CAPTURE_INVALID_EK_LINE and stops tshark at a bad line in strict mode', async () => {
    const { path, pids } = await fakeTshark(
      'garbage',
      `echo $$ > "$PIDS"\necho 'Capturing on wlan0'\nwhile :; do sleep 0.05; done`,
    );
    await expect(
      drain(captureWithTshark({ interface: 'wlan0', tsharkPath: path, ek: { strict: true } })),
    ).rejects.toMatchObject({
      code: 'CAPTURE_INVALID_EK_LINE',
      message: expect.stringMatching(/line 1: not JSON/),
    });
    const pid = Number((await readFile(pids, 'utf8')).trim());
    expect(await alive(pid)).toBe(false);
  });
});

describe('tsharkVersion', () => {
  it("reads the version from tshark's banner", async () => {
    const { path } = await fakeTshark(
      'version',
      'echo "TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3)."\necho\necho "Copyright"',
    );
    expect(await tsharkVersion(path)).toEqual({
      version: '4.0.17',
      major: 4,
      minor: 0,
      patch: 17,
      banner: 'TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3).',
    });
  });

  it('fails with CAPTURE_TSHARK_NOT_FOUND when tshark is not installed', async () => {
    await expect(tsharkVersion(join(dir, 'missing'))).rejects.toMatchObject({
      code: 'CAPTURE_TSHARK_NOT_FOUND',
    });
  });
});
