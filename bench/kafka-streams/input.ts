import type { Message } from 'kafkajs';
import { seededRandom } from '../../src/capture/synthetic.js';
import { decodeSsidBytes } from '../../src/probes/pcap.js';
import type { DeviceRecord } from '../../src/probes/schemas.js';
import { type DeviceTruth, tallyProbe } from '../chaos/records.js';
import { macFor } from '../pcap.js';
import { ownedDevice } from '../probes.js';

/**
 * The kafka-streams suite's input: `pcap` records as the seed's capture path wrote them (tshark 4.x
 * `-T ek -e …` through `jq -c '{timestamp: .timestamp} + .layers'`, produced by kcat with no key): hex
 * subtypes, SSIDs as hex bytes with `<MISSING>` for a wildcard probe, about 90 % probe requests from
 * 10,000 MACs, half of them named in the devices table. Made from a fixed seed; keeps the truth the two
 * applications' results are checked against.
 */

export const DEVICES = 10_000;
const PROBE_SHARE = 0.9;
const FIRST_TIMESTAMP = 1_587_564_340_123;
/** Frames that are not probe requests: beacons, probe responses and QoS data, as tshark 4.x writes them. */
const OTHER_SUBTYPES = ['0x0008', '0x0008', '0x0005', '0x0028'];
/** The SSIDs watched by the alert list; both are probed for. */
export const WATCHED_SSIDS: readonly string[] = ['eduroam', '☕ Coffee Shop'];

/**
 * What a probe carries in its SSID element: absent (null), zero-length, UTF-8 text, or bytes that are not
 * UTF-8 (which both applications show with `\xNN` escapes).
 */
const SHARED_SSIDS: readonly (Uint8Array | null)[] = [
  null,
  new Uint8Array(0),
  ...['eduroam', '☕ Coffee Shop', 'HomeNet-5G', 'FRITZ!Box 7590', 'Free WiFi'].map((s) => Buffer.from(s)),
  Uint8Array.of(0xff, 0x41, 0xc3),
];
/** Each device also probes for one of these home networks. */
const HOME_NETWORKS = 500;

/** What a group of probe requests must add up to: `pcap-stats`' value. */
export type Truth = DeviceTruth;

/** The devices table: every other MAC, two MACs to a name. */
export function benchDevices(): DeviceRecord[] {
  return Array.from({ length: DEVICES / 2 }, (_, i) => ownedDevice(macFor(2 * i), i >> 1));
}

/** Makes the records chunk by chunk, keeping the truth by MAC and the number of alerts they must raise. */
export class SeedRecords {
  readonly byMac = new Map<string, Truth>();
  probeRequests = 0;
  alerts = 0;
  readonly #macs = Array.from({ length: DEVICES }, (_, i) => macFor(i));
  readonly #random = seededRandom(0x4b5);
  readonly #watched = new Set(WATCHED_SSIDS);
  #made = 0;

  next(count: number): Message[] {
    const messages = new Array<Message>(count);
    for (let i = 0; i < count; i++) messages[i] = { key: null, value: this.#record() };
    return messages;
  }

  #record(): string {
    const random = this.#random;
    const device = Math.floor(random() * this.#macs.length);
    const mac = this.#macs[device] as string;
    // Radios report a little out of order.
    const timestamp = FIRST_TIMESTAMP + Math.floor(this.#made++ / 10) - Math.floor(random() * 500);
    const signal = String(-30 - Math.floor(random() * 61));
    const layers: Record<string, string[]> = {
      wlan_fc_type_subtype: ['0x0004'],
      wlan_radio_signal_dbm: [signal],
      wlan_sa: [mac],
      wlan_da: ['ff:ff:ff:ff:ff:ff'],
      wlan_bssid: ['ff:ff:ff:ff:ff:ff'],
    };
    if (random() >= PROBE_SHARE) {
      layers.wlan_fc_type_subtype = [OTHER_SUBTYPES[Math.floor(random() * OTHER_SUBTYPES.length)] as string];
      return JSON.stringify({ timestamp: String(timestamp), ...layers });
    }
    const pick = Math.floor(random() * (SHARED_SSIDS.length + 1));
    const bytes =
      pick < SHARED_SSIDS.length
        ? (SHARED_SSIDS[pick] as Uint8Array | null)
        : Buffer.from(`home-${device % HOME_NETWORKS}`);
    if (bytes !== null)
      layers.wlan_ssid = [bytes.length === 0 ? '<MISSING>' : Buffer.from(bytes).toString('hex')];
    const ssid = bytes === null ? null : decodeSsidBytes(bytes);
    tallyProbe(this.byMac, { mac, timestamp, ssid });
    this.probeRequests += 1;
    if (ssid !== null && this.#watched.has(ssid)) this.alerts += 1;
    return JSON.stringify({ timestamp: String(timestamp), ...layers });
  }

  /** The truth by name: each named device's figures together. */
  byName(devices: readonly DeviceRecord[]): Map<string, Truth> {
    const byName = new Map<string, Truth>();
    for (const { mac, name } of devices) {
      const device = this.byMac.get(mac);
      if (device === undefined || name === null) continue;
      const found = byName.get(name);
      if (found === undefined) {
        byName.set(name, { ...device, ssids: new Set(device.ssids) });
        continue;
      }
      found.probeCount += device.probeCount;
      found.firstProbe = Math.min(found.firstProbe, device.firstProbe);
      found.lastProbe = Math.max(found.lastProbe, device.lastProbe);
      for (const ssid of device.ssids) found.ssids.add(ssid);
    }
    return byName;
  }
}
