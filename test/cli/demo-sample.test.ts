import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openCaptureFile } from '../../src/capture/open.js';
import { DEMO_CAPTURE, DEMO_DEVICES } from '../../src/cli/demo.js';
import { chooseDemoSample, isReadableSsid } from '../../src/cli/demo-sample.js';
import { frameSsid, frameSubtype, PROBE_REQUEST_SUBTYPE } from '../../src/probes/pcap.js';
import type { DeviceRecord } from '../../src/probes/schemas.js';

const devices = JSON.parse(readFileSync(DEMO_DEVICES, 'utf8')) as DeviceRecord[];

describe('the device the demo suggests', () => {
  it('shouldTellReadableSsidsFromStrayBytesAndControlCharacters', () => {
    expect(isReadableSsid('RNM0')).toBe(true);
    expect(isReadableSsid('Café Wi-Fi ☕')).toBe(true);
    expect(isReadableSsid('\\xff\\xfe\u0000A')).toBe(false);
    expect(isReadableSsid('a\u0007b')).toBe(false);
    expect(isReadableSsid('')).toBe(false);
  });

  it('shouldBeANamedDeviceOfTheBundledListThatProbesOnlyForReadableSsids', async () => {
    const source = await openCaptureFile(DEMO_CAPTURE);
    const sample = await chooseDemoSample(devices, source.open());
    // Typed as it is into the shell commands the demo prints.
    expect(sample?.name).toMatch(/^[A-Za-z0-9 ()._-]+$/);
    const ssids = new Set<string | null>();
    for await (const frame of source.open()) {
      const sa = Array.isArray(frame.wlan_sa) ? frame.wlan_sa[0] : undefined;
      if (frameSubtype(frame) === PROBE_REQUEST_SUBTYPE && sa === sample?.mac) ssids.add(frameSsid(frame));
    }
    const named = [...ssids].filter((ssid): ssid is string => ssid !== null && ssid !== '');
    expect(named.length).toBeGreaterThan(0);
    expect(named.filter((ssid) => !isReadableSsid(ssid))).toEqual([]);
  });
});
