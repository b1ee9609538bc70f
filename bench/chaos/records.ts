import type { Message } from 'kafkajs';
import { seededRandom } from '../../src/capture/synthetic.js';
import { compareSsids } from '../../src/probes/stats.js';
import { macFor } from '../pcap.js';

/**
 * The chaos run's input: seeded `pcap` records (the canonical shape probestream's readers write, keyed by
 * source MAC), one in HOSTILE_EVERY of them hostile, and what the topology must make of the others.
 * Every record carries its sequence number in the header SEQ_HEADER, so that the topic can be read back
 * and each record told apart, whatever its value.
 */

export const SEQ_HEADER = 'bench-seq';
/** 1 % of the records are hostile. */
const HOSTILE_EVERY = 100;
/** A share of ordinary traffic is frames that are not probe requests (beacons): filtered, never counted. */
const BEACON_SHARE = 0.05;
/** The SSIDs devices probe for: a wildcard (`""`), absent (null: no SSID element), and names. */
const SSIDS: readonly (string | null)[] = [null, '', 'eduroam', 'HomeNet-5G', 'FRITZ!Box 7590', '☕ Café'];
const OVERSIZED_SSID_CHARS = 200_000;
const NON_JSON_BYTES = 200_000;

export type HostileKind = 'oversized' | 'non-json' | 'wrong-type';
const HOSTILE_KINDS: readonly HostileKind[] = ['oversized', 'non-json', 'wrong-type'];

/** What the topology must make of one device's probe requests: `pcap-stats`' value. */
export interface DeviceTruth {
  probeCount: number;
  firstProbe: number;
  lastProbe: number;
  readonly ssids: Set<string | null>;
}

/** One record as made: the message, and what it is for the truth. */
export interface MadeRecord {
  readonly seq: number;
  readonly message: Message;
  /** A probe request the topology counts; undefined for a beacon or a hostile record. */
  readonly probe?: { readonly mac: string; readonly timestamp: number; readonly ssid: string | null };
  readonly hostile?: HostileKind;
}

/** A MAC no ordinary device has (locally administered, `02:ba:d0`): hostile records come from these. */
export function hostileMac(i: number): string {
  const hex = (i & 0xffffff).toString(16).padStart(6, '0');
  return `02:ba:d0:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

/** Makes the run's records in order, the same ones for the same seed (their timestamps are the clock's). */
export class RecordMaker {
  readonly devices: readonly string[];
  readonly #random: () => number;
  readonly #oversizedSsid = 'x'.repeat(OVERSIZED_SSID_CHARS);
  readonly #nonJson: string;
  #seq = 0;
  #hostile = 0;

  constructor(seed: number, devices: number) {
    this.#random = seededRandom(seed);
    this.devices = Array.from({ length: devices }, (_, i) => macFor(i));
    // A line of text that is not JSON, of the size a flattened all-layers tshark line reaches.
    this.#nonJson = `not json: ${'frame 802.11 probe; '.repeat(NON_JSON_BYTES / 20)}`.slice(
      0,
      NON_JSON_BYTES,
    );
  }

  /** The next record, stamped `now` (epoch ms). */
  next(now: number): MadeRecord {
    const seq = this.#seq++;
    const headers = { [SEQ_HEADER]: String(seq) };
    if (seq % HOSTILE_EVERY === HOSTILE_EVERY - 1) {
      const index = this.#hostile++;
      const kind = HOSTILE_KINDS[index % HOSTILE_KINDS.length] as HostileKind;
      const mac = hostileMac(index);
      return {
        seq,
        hostile: kind,
        message: { key: mac, value: this.#hostileValue(kind, mac, now), headers },
      };
    }
    const mac = this.devices[Math.floor(this.#random() * this.devices.length)] as string;
    // Event times spread a little around the clock, out of order, as radios report them.
    const timestamp = now - Math.floor(this.#random() * 2_000);
    const ssid = SSIDS[Math.floor(this.#random() * SSIDS.length)] as string | null;
    const signal = String(-30 - Math.floor(this.#random() * 60));
    if (this.#random() < BEACON_SHARE) {
      const beacon = { timestamp: String(timestamp), wlan_fc_type_subtype: ['8'], wlan_sa: [mac] };
      return { seq, message: { key: mac, value: JSON.stringify(beacon), headers } };
    }
    const value = {
      timestamp: String(timestamp),
      wlan_fc_type_subtype: ['4'],
      wlan_radio_signal_dbm: [signal],
      wlan_sa: [mac],
      wlan_da: ['ff:ff:ff:ff:ff:ff'],
      wlan_bssid: ['ff:ff:ff:ff:ff:ff'],
      ...(ssid === null ? {} : { wlan_ssid: [ssid] }),
    };
    return {
      seq,
      probe: { mac, timestamp, ssid },
      message: { key: mac, value: JSON.stringify(value), headers },
    };
  }

  #hostileValue(kind: HostileKind, mac: string, now: number): string {
    const frame = { timestamp: String(now), wlan_fc_type_subtype: ['4'] as unknown, wlan_sa: [mac] };
    switch (kind) {
      case 'oversized':
        // Otherwise a valid probe request: the SSID alone (no 802.11 SSID passes 32 bytes) makes it hostile.
        return JSON.stringify({ ...frame, wlan_ssid: [this.#oversizedSsid] });
      case 'non-json':
        return this.#nonJson;
      case 'wrong-type':
        return JSON.stringify({ ...frame, wlan_fc_type_subtype: { type: 0, subtype: 4 }, wlan_ssid: ['x'] });
    }
  }
}

/** Adds one counted probe request to the truth, as `addProbe` does: count, min/max event time, SSID set. */
export function tallyProbe(truth: Map<string, DeviceTruth>, probe: NonNullable<MadeRecord['probe']>): void {
  const found = truth.get(probe.mac);
  if (found === undefined) {
    truth.set(probe.mac, {
      probeCount: 1,
      firstProbe: probe.timestamp,
      lastProbe: probe.timestamp,
      ssids: new Set([probe.ssid]),
    });
    return;
  }
  found.probeCount += 1;
  found.firstProbe = Math.min(found.firstProbe, probe.timestamp);
  found.lastProbe = Math.max(found.lastProbe, probe.timestamp);
  found.ssids.add(probe.ssid);
}

/** A device's stats as `GET /devices/:mac/stats` shows them. */
export interface StatsAnswer {
  readonly mac: string;
  readonly probeCount: number;
  readonly firstProbe: string;
  readonly lastProbe: string;
  readonly ssidsProbed: readonly (string | null)[];
}

/** Whether an answer says exactly what the truth says, SSIDs in the API's order. */
export function answerMatches(answer: StatsAnswer, truth: DeviceTruth): boolean {
  if (answer.probeCount !== truth.probeCount) return false;
  if (answer.firstProbe !== new Date(truth.firstProbe).toISOString()) return false;
  if (answer.lastProbe !== new Date(truth.lastProbe).toISOString()) return false;
  const expected = [...truth.ssids].sort(compareSsids);
  return (
    answer.ssidsProbed.length === expected.length && answer.ssidsProbed.every((s, i) => s === expected[i])
  );
}
