import { CodedError } from '../errors/index.js';
/**
 * Errors of the capture layer (file readers, tshark, the producer into Kafka, MongoDB CDC). One catalogue:
 * add a code here with a doc saying what the caller should do next. Codes are stable; messages may change.
 */
export const captureErrorCodes = [
  /** The file is not a pcap, pcapng or EK-lines file, or cannot be opened. Check the path and the format. */
  'CAPTURE_UNREADABLE_FILE',
  /** The capture's link type is not 802.11 with a radiotap header (or plain 802.11). Capture in monitor mode. */
  'CAPTURE_UNSUPPORTED_LINKTYPE',
  /** The file ends in the middle of a block or record, or a block is malformed. The frames before it were read. */
  'CAPTURE_TRUNCATED',
  /** An EK line is not JSON, or not an object. The message names the line number. */
  'CAPTURE_INVALID_EK_LINE',
  /** `tshark` is not installed or not on PATH. Install Wireshark's tshark (Debian: `apt-get install tshark`). */
  'CAPTURE_TSHARK_NOT_FOUND',
  /** tshark exited with an error (no such interface, no permission, not in monitor mode). The message has its stderr. */
  'CAPTURE_TSHARK_FAILED',
  /** Kafka did not acknowledge produced records. Nothing after the last acknowledged record is known to be stored. */
  'CAPTURE_PRODUCE_FAILED',
  /** MongoDB refused or failed a read or a change stream, and retrying did not help. */
  'CDC_MONGODB_FAILED',
  /** Kafka refused the CDC's writes or its offsets topic could not be read. */
  'CDC_KAFKA_FAILED',
  /** A record in `<application.id>-cdc-offsets` could not be read. Delete the topic to snapshot afresh. */
  'CDC_OFFSETS_CORRUPT',
  /** The CDC's `devices` topic does not exist. Create it (compacted, as many partitions as `pcap`), then start again. */
  'CDC_TOPIC_MISSING',
] as const;

export type CaptureErrorCode = (typeof captureErrorCodes)[number];

export class CaptureError extends CodedError<CaptureErrorCode> {
  override readonly name: string = 'CaptureError';
}
