import { setTimeout as sleep } from 'node:timers/promises';
import type { PcapValue } from '../probes/pcap.js';
import { frameSubtype, PROBE_REQUEST_SUBTYPE } from '../probes/pcap.js';
import type { CaptureProducer } from './producer.js';

export interface ReplayOptions {
  readonly producer: CaptureProducer;
  /** 'max': as fast as Kafka takes them (default); a number: that many times capture speed (1 = as captured). */
  readonly speed?: number | 'max';
  /**
   * Replay again and again until aborted. Each pass's timestamps are moved to when its frames are sent:
   * the first frame is "now", the others keep their capture spacing divided by `speed`.
   */
  readonly loop?: boolean;
  readonly signal?: AbortSignal;
  /** Called about every `progressEveryMs` (default 250) and once at the end. */
  readonly onProgress?: (progress: ReplayProgress) => void;
  readonly progressEveryMs?: number;
  /** The clock, for tests. Default Date.now. */
  readonly now?: () => number;
}

export interface ReplayProgress {
  readonly framesRead: number;
  readonly probeRequests: number;
  readonly produced: number;
  readonly acknowledged: number;
  /** Frames larger than the topic takes, skipped by the producer. */
  readonly skipped: number;
  readonly passes: number;
}

/**
 * Reads frames from `open()` into the producer, pacing them by their capture time when a speed is given and
 * moving their timestamps to the present when looping. Resolves once Kafka acknowledged every record
 * produced (also when aborted: what was read is flushed, not dropped). `open` is called once per pass.
 */
export async function replay(
  open: () => AsyncIterable<PcapValue>,
  options: ReplayOptions,
): Promise<ReplayProgress> {
  const { producer, signal } = options;
  const speed = options.speed ?? 'max';
  if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) {
    throw new TypeError(`replay: speed must be 'max' or a number above 0, got ${String(speed)}`);
  }
  const now = options.now ?? Date.now;
  const every = options.progressEveryMs ?? 250;
  let framesRead = 0;
  let probeRequests = 0;
  let passes = 0;
  let lastProgress = 0;
  // A timer may fire a millisecond early: a new pass never starts before the previous one's last frame.
  let lastRetimed = 0;
  const progress = (): ReplayProgress => ({
    framesRead,
    probeRequests,
    produced: producer.stats.written,
    acknowledged: producer.stats.acknowledged,
    skipped: producer.stats.skipped,
    passes,
  });
  do {
    passes += 1;
    const passStart = Math.max(now(), lastRetimed);
    let firstTimestamp: number | undefined;
    for await (const frame of open()) {
      if (signal?.aborted) break;
      framesRead += 1;
      if (frameSubtype(frame) === PROBE_REQUEST_SUBTYPE) probeRequests += 1;
      const captured = Number(frame.timestamp);
      let value = frame;
      if (Number.isFinite(captured)) {
        firstTimestamp ??= captured;
        if (speed !== 'max') {
          const due = passStart + (captured - firstTimestamp) / speed;
          const wait = due - now();
          if (wait > 0) await sleep(wait, undefined, { signal }).catch(() => {});
          if (signal?.aborted) break;
        }
        if (options.loop) {
          const offset = (captured - firstTimestamp) / (speed === 'max' ? 1 : speed);
          lastRetimed = Math.floor(passStart + offset);
          value = { ...frame, timestamp: String(lastRetimed) };
        }
      }
      await producer.write(value);
      if (options.onProgress && now() - lastProgress >= every) {
        lastProgress = now();
        options.onProgress(progress());
      }
    }
  } while (options.loop && !signal?.aborted);
  await producer.flush();
  const result = progress();
  options.onProgress?.(result);
  return result;
}
