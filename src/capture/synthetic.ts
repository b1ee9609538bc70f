/**
 * Deterministic, realistic captured traffic for tests, benchmarks and the demo: a crowd of phones probing for
 * networks they remember, access points beaconing and answering, and some data. The same seed gives the same
 * frames on every run. `expectedRecord` says what a reader must make of each frame, so a reader's output can
 * be checked frame by frame; src/capture/capture-writer.ts turns frames into .pcap and .pcapng files.
 */
import { decodeSsidBytes, normalizeMac, type PcapValue } from '../probes/pcap.js';
import { ssidBytes } from './capture-writer.js';
import { LINKTYPE_IEEE802_11 } from './ieee80211.js';

export {
  type CaptureWriteOptions,
  frameBytes,
  type PcapngWriteOptions,
  type PcapWriteOptions,
  writePcap,
  writePcapng,
} from './capture-writer.js';

export type SyntheticFrameKind = 'probe-request' | 'probe-response' | 'beacon' | 'data';

/**
 * How the radiotap header is laid out, to exercise a reader's handling of it:
 * - `minimal`: Flags and antenna signal;
 * - `common`: Flags, rate, channel, antenna signal and antenna;
 * - `tsft`: a 64-bit TSF timer first (8-byte alignment), then the common fields and RX flags;
 * - `multi-antenna`: three radiotap namespaces in extended present bitmaps (combined, antenna 0, antenna 1);
 * - `vendor`: a vendor namespace with odd-length data between two radiotap namespaces.
 */
export type RadiotapLayout = 'minimal' | 'common' | 'tsft' | 'multi-antenna' | 'vendor';

export interface SyntheticFrame {
  readonly kind: SyntheticFrameKind;
  /** Capture time, epoch microseconds. */
  readonly timeUs: bigint;
  /** Source, destination and BSSID MACs, `aa:bb:cc:dd:ee:ff`. */
  readonly sa: string;
  readonly da: string;
  readonly bssid: string;
  /** Management frames: the SSID element's content; `''` a wildcard; null or absent: no SSID element. */
  readonly ssid?: string | Uint8Array | null;
  /** Antenna signal in dBm (-128..127); null or absent: the radiotap header has no antenna signal. */
  readonly signalDbm?: number | null;
  /** Data frames: to the distribution system (from a station) or from it; decides the address order. */
  readonly direction?: 'to-ds' | 'from-ds';
  /** Defaults to `minimal`. */
  readonly radiotap?: RadiotapLayout;
}

export interface SyntheticOptions {
  /** Any integer; the same seed gives the same frames. */
  readonly seed: number;
  /** Stations (phones, laptops) that probe and send data. At least 1. */
  readonly devices: number;
  /** Frames to make. */
  readonly frames: number;
  /** Time of the first frame, epoch ms. Defaults to 1587564340123 (2020-04-22T14:05:40.123Z). */
  readonly startMs?: number;
  /** Access points. Defaults to max(2, devices / 8). */
  readonly accessPoints?: number;
  /** Largest gap between two frames in µs (uniform from 1). Defaults to 2000. */
  readonly maxGapUs?: number;
}

/** mulberry32: a small seeded generator, so that tests, benchmarks and the demo make the same data every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const BROADCAST = 'ff:ff:ff:ff:ff:ff';

// Networks phones remember: spaces, accents, emoji, markup, and byte strings that are not UTF-8 (old
// Latin-1 firmware, garbage) — anything can be broadcast.
const REMEMBERED_SSIDS: readonly (string | Uint8Array)[] = [
  'eduroam',
  'BTWifi-with-FON',
  'Virgin Media',
  'O2 Wifi',
  'SKY1A2B3',
  'Café Nero Guest',
  'Starbucks WiFi',
  'iPhone de María',
  '☕ Coffee Shop',
  '🦄🌈',
  '<b>x</b>&',
  'Robert"); DROP TABLE ssids;--',
  '  leading and trailing  ',
  '東京フリーWi-Fi',
  'x'.repeat(32),
  Uint8Array.of(0x43, 0x61, 0x66, 0xe9), // "Café" in Latin-1
  Uint8Array.of(0xff, 0xfe, 0x00, 0x41),
  Uint8Array.of(0xc3, 0x28, 0x20, 0xe2, 0x82),
];

const ACCESS_POINT_SSIDS: readonly (string | Uint8Array)[] = [
  'HomeHub-5G',
  'Café',
  'Virgin Media',
  'eduroam',
  '<script>alert(1)</script>',
  'Guest 🛜',
  '', // a hidden network that beacons a zero-length SSID
  new Uint8Array(8), // a hidden network that beacons zeros of the real SSID's length
];

const LAYOUTS: readonly RadiotapLayout[] = [
  'minimal',
  'common',
  'common',
  'common',
  'tsft',
  'multi-antenna',
  'vendor',
];

function randomMac(random: () => number, locallyAdministered: boolean): string {
  const bytes = Array.from({ length: 6 }, () => Math.floor(random() * 256));
  // Unicast; phones' randomised MACs set the locally-administered bit, vendors' MACs clear it.
  bytes[0] = ((bytes[0] as number) & 0xfc) | (locallyAdministered ? 0x02 : 0);
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}

interface Station {
  readonly mac: string;
  readonly remembered: readonly (string | Uint8Array)[];
  readonly signal: number;
}

interface AccessPoint {
  readonly bssid: string;
  readonly ssid: string | Uint8Array;
  readonly signal: number;
}

/** Frames in time order, deterministic for a seed. */
export function syntheticFrames(options: SyntheticOptions): SyntheticFrame[] {
  const { seed, devices, frames } = options;
  if (!Number.isInteger(devices) || devices < 1) throw new TypeError(`devices must be ≥ 1, got ${devices}`);
  if (!Number.isInteger(frames) || frames < 0) throw new TypeError(`frames must be ≥ 0, got ${frames}`);
  const random = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const stations: Station[] = Array.from({ length: devices }, () => ({
    mac: randomMac(random, random() < 0.4),
    remembered: Array.from({ length: Math.floor(random() * 4) }, () => pick(REMEMBERED_SSIDS)),
    signal: -90 + Math.floor(random() * 60),
  }));
  const accessPoints: AccessPoint[] = Array.from(
    { length: options.accessPoints ?? Math.max(2, Math.floor(devices / 8)) },
    (_, i) => ({
      bssid: randomMac(random, false),
      ssid: ACCESS_POINT_SSIDS[i % ACCESS_POINT_SSIDS.length] as string | Uint8Array,
      signal: -85 + Math.floor(random() * 50),
    }),
  );
  const gateway = randomMac(random, false);
  const maxGapUs = options.maxGapUs ?? 2000;
  let timeUs = BigInt(options.startMs ?? 1587564340123) * 1000n + BigInt(Math.floor(random() * 1000));
  const out: SyntheticFrame[] = [];
  for (let i = 0; i < frames; i++) {
    if (i > 0) timeUs += BigInt(1 + Math.floor(random() * maxGapUs));
    const station = pick(stations);
    const ap = pick(accessPoints);
    const common = { timeUs, radiotap: pick(LAYOUTS) };
    const roll = random();
    let frame: SyntheticFrame;
    let usualSignal: number;
    if (roll < 0.55) {
      const ssidRoll = random();
      const remembered = station.remembered.length > 0 && ssidRoll >= 0.4;
      const ssid = ssidRoll < 0.04 ? null : remembered ? pick(station.remembered) : '';
      // Most probes are broadcast; some are sent to an access point the phone knows.
      const to = random() < 0.1 ? ap.bssid : BROADCAST;
      frame = { ...common, kind: 'probe-request', sa: station.mac, da: to, bssid: to, ssid };
      usualSignal = station.signal;
    } else if (roll < 0.75) {
      frame = { ...common, kind: 'beacon', sa: ap.bssid, da: BROADCAST, bssid: ap.bssid, ssid: ap.ssid };
      usualSignal = ap.signal;
    } else if (roll < 0.85) {
      frame = {
        ...common,
        kind: 'probe-response',
        sa: ap.bssid,
        da: station.mac,
        bssid: ap.bssid,
        ssid: ap.ssid,
      };
      usualSignal = ap.signal;
    } else {
      const toDs = random() < 0.6;
      const [sa, da] = toDs ? [station.mac, gateway] : [gateway, station.mac];
      frame = { ...common, kind: 'data', sa, da, bssid: ap.bssid, direction: toDs ? 'to-ds' : 'from-ds' };
      usualSignal = toDs ? station.signal : ap.signal;
    }
    // Some drivers report no signal; the rest jitters around the sender's usual level.
    const signalRoll = random();
    out.push({ ...frame, signalDbm: signalRoll < 0.06 ? null : usualSignal + Math.floor(random() * 7) - 3 });
  }
  return out;
}

const SUBTYPES: { readonly [K in SyntheticFrameKind]: string } = {
  'probe-request': '4',
  'probe-response': '5',
  beacon: '8',
  data: '32',
};

function mac(text: string): string {
  const normal = normalizeMac(text);
  if (normal === undefined) throw new TypeError(`${JSON.stringify(text)} is not a MAC address`);
  return normal;
}

/**
 * The `pcap` record a reader must produce for a frame written by writePcap/writePcapng with the same link
 * type (default radiotap, 127): what tshark 4.0 gives, in canonical form.
 */
export function expectedRecord(frame: SyntheticFrame, options: { linktype?: number } = {}): PcapValue {
  const value: Record<string, unknown> = {
    timestamp: (frame.timeUs / 1000n).toString(),
    wlan_fc_type_subtype: [SUBTYPES[frame.kind]],
  };
  if (options.linktype !== LINKTYPE_IEEE802_11 && frame.signalDbm !== null && frame.signalDbm !== undefined) {
    value.wlan_radio_signal_dbm = [String(frame.signalDbm)];
  }
  value.wlan_sa = [mac(frame.sa)];
  value.wlan_da = [mac(frame.da)];
  value.wlan_bssid = [mac(frame.bssid)];
  if (frame.kind !== 'data' && frame.ssid !== null && frame.ssid !== undefined) {
    value.wlan_ssid = [decodeSsidBytes(ssidBytes(frame.ssid))];
  }
  return value as PcapValue;
}
