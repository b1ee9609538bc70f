/**
 * What `replay` and `capture` tell an operator about frames that will not be counted: frames too large for
 * the topic (skipped by the producer, so that one odd frame does not end a capture) and a capture with no
 * probe request at all (most often EK lines without the fields the topology reads).
 */
import { TSHARK_FIELDS } from '../capture/ek.js';
import type { CaptureSourceFormat } from '../capture/open.js';
import type { CaptureProducer, SkippedRecord } from '../capture/producer.js';
import { count } from './progress.js';

/** Skipped frames named one by one on stderr; the rest only in the summary. */
const NAMED_SKIPS = 10;

type Stderr = NodeJS.WritableStream & { isTTY?: boolean };

/** An `onSkipped` that names the first frames skipped (clearing a progress bar's line first). */
export function skippedFrameWarning(stderr: Stderr, topic: string): (skipped: SkippedRecord) => void {
  let named = 0;
  return (skipped) => {
    if (named >= NAMED_SKIPS) return;
    named += 1;
    const from = skipped.key === null ? 'with no source MAC' : `from ${skipped.key}`;
    stderr.write(
      `${stderr.isTTY ? '\r\x1b[2K' : ''}skipped a frame ${from} at ${String(skipped.timestamp)}: ` +
        `${count(skipped.bytes)} bytes, more than topic ${topic} takes (${count(skipped.limit)})\n`,
    );
  };
}

/** The summary line of the frames skipped for their size. */
export function skippedSummary(skipped: number, topic: string, producer: CaptureProducer): string {
  return (
    `${count(skipped)} frame${skipped === 1 ? '' : 's'} skipped: larger than topic ${topic} takes ` +
    `(max.message.bytes ${count(producer.maxMessageBytes)})\n`
  );
}

/** Said when frames were read but none is a probe request: nothing of the run will be counted. */
export function noProbeRequestsWarning(frames: number, format: CaptureSourceFormat | 'tshark'): string {
  const hint =
    format === 'ek'
      ? `; EK lines must carry the 802.11 subtype: tshark -T ek ${TSHARK_FIELDS.map((f) => `-e ${f}`).join(' ')}`
      : '';
  return `warning: none of the ${count(frames)} frames is a probe request: nothing will be counted${hint}\n`;
}
