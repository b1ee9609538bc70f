import type { Admin, Kafka, Message } from 'kafkajs';
import { seededRandom } from '../test/support/random.js';
import {
  log,
  mb,
  PRODUCE_CHUNK,
  PRODUCE_IN_FLIGHT,
  perSecond,
  producedOffsets,
  produceMessages,
  report,
} from './support.js';

/**
 * The benchmarks' input: records shaped like the `pcap` topic's (tshark's JSON of 802.11 frames, keyed by
 * source MAC), made from a fixed seed so that every run produces the same data.
 */

export const PARTITIONS = 6;
export const DISTINCT_MACS = 10_000;
const PROBE_SHARE = 0.8;

/** The part of a `pcap` record the count topology reads. */
export interface PcapFrame {
  readonly timestamp: string;
  readonly wlan_fc_type_subtype?: readonly string[];
  readonly wlan_radio_signal_dbm?: readonly string[];
  readonly wlan_sa?: readonly string[];
  readonly wlan_ssid?: readonly string[];
}

const SSIDS = [
  '',
  'RNM0',
  'eduroam',
  'HomeNet-5G',
  'FRITZ!Box 7590',
  'Free WiFi',
  'iPhone de Marie',
  'linksys',
];
const OUIS = ['a4:83:e7', 'f0:18:98', '3c:22:fb', 'dc:a6:32', '00:1a:11', 'b8:27:eb', '8c:85:90', '40:4e:36'];
/** Frames that are not probe requests: beacons ("8") and QoS data ("40"). */
const OTHER_SUBTYPES = ['8', '8', '40'];
const PROBE_REQUEST = '4';
const FIRST_TIMESTAMP = 1_587_564_340_123;

/**
 * The i-th MAC: lower-case, colon-separated, an OUI and a 24-bit suffix that is a bijection of i, so MACs
 * 0 to 2^24 - 1 are all distinct.
 */
export function macFor(i: number): string {
  const suffix = (Math.imul(i, 0x9e3779b1) >>> 0) & 0xffffff;
  const hex = suffix.toString(16).padStart(6, '0');
  return `${OUIS[i % OUIS.length]}:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

/** Whether the count topology counts this frame: a probe request. */
export function isProbeRequest(frame: PcapFrame): boolean {
  return frame.wlan_fc_type_subtype?.[0] === PROBE_REQUEST;
}

/**
 * Makes `pcap` records chunk by chunk over DISTINCT_MACS devices, 80 % of them probe requests, keeping what
 * the count must find: probe requests per MAC.
 */
export class PcapRecords {
  readonly probesByMac = new Map<string, number>();
  probes = 0;
  valueBytes = 0;
  readonly #macs = Array.from({ length: DISTINCT_MACS }, (_, i) => macFor(i));
  readonly #random = seededRandom(0x5eed);
  #made = 0;

  next(count: number): Message[] {
    const random = this.#random;
    const messages = new Array<{ key: string; value: string }>(count);
    for (let i = 0; i < count; i++) {
      const mac = this.#macs[Math.floor(random() * this.#macs.length)] as string;
      const probe = random() < PROBE_SHARE;
      const subtype = probe
        ? PROBE_REQUEST
        : (OTHER_SUBTYPES[Math.floor(random() * OTHER_SUBTYPES.length)] as string);
      const frame: PcapFrame = {
        timestamp: String(FIRST_TIMESTAMP + Math.floor(this.#made / 10)),
        wlan_fc_type_subtype: [subtype],
        wlan_radio_signal_dbm: [String(-30 - Math.floor(random() * 61))],
        wlan_sa: [mac],
        wlan_ssid: [SSIDS[Math.floor(random() * SSIDS.length)] as string],
      };
      const value = JSON.stringify(frame);
      this.valueBytes += value.length;
      messages[i] = { key: mac, value };
      if (probe) {
        this.probes += 1;
        this.probesByMac.set(mac, (this.probesByMac.get(mac) ?? 0) + 1);
      }
      this.#made += 1;
    }
    return messages;
  }
}

/**
 * Makes one small probe request for each of `macFor(0)`, `macFor(1)`, ... in turn: every key distinct, so a
 * count over them holds one entry per record. Keeps nothing but how far it got.
 */
export class DistinctProbes {
  valueBytes = 0;
  #made = 0;

  next(count: number): Message[] {
    const messages = new Array<{ key: string; value: string }>(count);
    for (let i = 0; i < count; i++) {
      const mac = macFor(this.#made);
      const frame: PcapFrame = {
        timestamp: String(FIRST_TIMESTAMP + this.#made),
        wlan_fc_type_subtype: [PROBE_REQUEST],
        wlan_sa: [mac],
      };
      const value = JSON.stringify(frame);
      this.valueBytes += value.length;
      messages[i] = { key: mac, value };
      this.#made += 1;
    }
    return messages;
  }
}

/** Produces `records` records from `source` into `topic` and reports the rate as `metric` of `bench`. */
export async function produceReported<S extends { next(count: number): Message[]; valueBytes: number }>(
  kafka: Kafka,
  topic: string,
  records: number,
  source: S,
  figure: { bench: string; metric: string },
): Promise<S> {
  const elapsedMs = await produceMessages(kafka, topic, records, (count) => source.next(count));
  report(figure.bench, figure.metric, perSecond(records, elapsedMs), 'events/s', {
    records,
    partitions: PARTITIONS,
    elapsedMs: Math.round(elapsedMs),
    valueMb: mb(source.valueBytes),
    chunk: PRODUCE_CHUNK,
    inFlight: PRODUCE_IN_FLIGHT,
    acks: -1,
  });
  return source;
}

/**
 * Creates `topic` with 6 partitions and fills it with `records` pcap records (reported as `produce` under
 * `bench`); returns the topic, the probe requests per MAC it holds, and each partition's end offset.
 */
export async function producePcapTopic(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  records: number,
  bench: string,
) {
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  log(`producing ${records} pcap records (${DISTINCT_MACS} MACs) into ${topic} (${PARTITIONS} partitions)`);
  const expected = await produceReported(kafka, topic, records, new PcapRecords(), {
    bench,
    metric: 'produce',
  });
  const ends = await producedOffsets(admin, topic, records);
  return { expected, ends };
}
