import {
  type AvroSchema,
  type AvroSerde,
  type KStream,
  type Processor,
  type ProcessorContext,
  Serdes,
  SessionWindows,
  TimeWindows,
} from '../topology/index.js';
import type { PcapFrame } from './pcap.js';
import { type ProbeStats, probeStatsSerde } from './schemas.js';
import type { EnrichedProbe } from './serdes.js';
import { addProbe, emptyStats, mergeStats } from './stats.js';

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;
/** A device's probes split into sessions by this long without one (the seed's 5-minute sessions). */
export const SESSION_GAP_MS = 5 * 60_000;

/**
 * The windowed stores of the probe topology. How long each keeps its windows, in event time behind the
 * latest record its partition has seen: hours 7 days, days 90 days, sessions 7 days after they end, frame
 * days 90 days. Anything within retention is taken however late it comes (grace = retention − size), so a
 * capture replayed after newer ones still counts; older records are dropped and counted as `late`.
 */
export const WINDOWED_STORES = Object.freeze({
  activityHourly: 'probe-activity-1h',
  activityDaily: 'probe-activity-1d',
  sessions: 'probe-sessions',
  framesDaily: 'frames-daily',
});

export const RETENTION_MS = Object.freeze({
  activityHourly: 7 * DAY_MS,
  activityDaily: 90 * DAY_MS,
  sessions: 7 * DAY_MS,
  framesDaily: 90 * DAY_MS,
});

/** The repartition topic of every frame, keyed by its type/subtype. */
export const FRAMES_BY_SUBTYPE = 'frames-by-subtype';

/** The figures of one UTC day and frame type/subtype (the seed's PCAP_STATS). */
export interface FrameDay {
  readonly count: number;
  /** Earliest and latest event time, epoch ms. */
  readonly first: number;
  readonly last: number;
}

const FRAME_DAY_SCHEMA = {
  type: 'record',
  name: 'FrameDay',
  namespace: 'probestream',
  fields: [
    { name: 'count', type: 'long' },
    { name: 'first', type: 'long' },
    { name: 'last', type: 'long' },
  ],
} satisfies AvroSchema;

export const frameDaySerde = (): AvroSerde<FrameDay> => Serdes.Avro<FrameDay>(FRAME_DAY_SCHEMA);

/** The largest type/subtype an 802.11 frame control field can carry (2 bits of type, 4 of subtype). */
export const MAX_FRAME_SUBTYPE = 63;

/** Per MAC: probe requests per hour and per UTC day, and sessions with their count, times and SSIDs. */
export function probeActivity(probes: KStream<string, EnrichedProbe>, persistent: boolean): void {
  const byMac = probes.groupByKey();
  for (const [sizeMs, storeName, retentionMs] of [
    [HOUR_MS, WINDOWED_STORES.activityHourly, RETENTION_MS.activityHourly],
    [DAY_MS, WINDOWED_STORES.activityDaily, RETENTION_MS.activityDaily],
  ] as const) {
    byMac
      .windowedBy(TimeWindows.ofSizeAndGrace(sizeMs, retentionMs - sizeMs))
      .count({ storeName, retentionMs, persistent });
  }
  byMac
    .windowedBy(
      SessionWindows.ofInactivityGapAndGrace(SESSION_GAP_MS, RETENTION_MS.sessions - SESSION_GAP_MS),
    )
    .aggregate<ProbeStats>(
      emptyStats,
      (_mac, probe, stats) => addProbe(stats, probe),
      (_mac, left, right) => mergeStats([left, right]),
      {
        storeName: WINDOWED_STORES.sessions,
        valueSerde: probeStatsSerde(),
        retentionMs: RETENTION_MS.sessions,
        persistent,
      },
    );
}

/** Keys a frame by its type/subtype, its event time (the record's, as the extractor chose it) the value. */
function bySubtype(): Processor<string | null, PcapFrame | null, string, number> {
  let context: ProcessorContext<string, number>;
  return {
    init(ctx) {
      context = ctx;
    },
    process({ value: frame, timestamp }) {
      // Not a frame (an index line), or a type/subtype no frame control field can hold: nothing to count.
      if (frame === null || frame.subtype < 0 || frame.subtype > MAX_FRAME_SUBTYPE) return;
      context.forward({ key: String(frame.subtype), value: timestamp, timestamp, headers: {} });
    },
  };
}

/** Every frame (not only probe requests) per UTC day and type/subtype: count, first and last time. */
export function dailyFrames(frames: KStream<string | null, PcapFrame | null>, persistent: boolean): void {
  const { framesDaily: storeName } = WINDOWED_STORES;
  const retentionMs = RETENTION_MS.framesDaily;
  frames
    .process(bySubtype, { keySerde: Serdes.String(), valueSerde: Serdes.Long() })
    .repartition(FRAMES_BY_SUBTYPE)
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(DAY_MS, retentionMs - DAY_MS))
    .aggregate<FrameDay>(
      () => ({ count: 0, first: Number.MAX_SAFE_INTEGER, last: 0 }),
      (_subtype, time, day) => ({
        count: day.count + 1,
        first: Math.min(day.first, time),
        last: Math.max(day.last, time),
      }),
      { storeName, valueSerde: frameDaySerde(), retentionMs, persistent },
    );
}
