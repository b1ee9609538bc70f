/**
 * Sources into Kafka: pcap/pcapng/tshark-EK readers, live tshark capture, the producer that writes frames
 * to the `pcap` topic, and MongoDB change data capture into `devices`.
 */

export { DeviceCdc, type DeviceCdcOptions, type DeviceCdcStats } from './cdc.js';
export {
  type AceDocument,
  aceDocumentMac,
  deviceFromAceDevice,
  deviceFromAceUser,
  isOwnGear,
} from './cdc-mapping.js';
export { cdcOffsetsTopic } from './cdc-offsets.js';
export {
  canonicalRecord,
  EK_FIELDS,
  type EkInvalidLine,
  type EkLine,
  type EkReader,
  type EkReadOptions,
  type EkReadStats,
  parseEkLine,
  readEkLines,
} from './ek.js';
export { CaptureError, type CaptureErrorCode, captureErrorCodes } from './errors.js';
export {
  type FrameParseResult,
  type FrameSkipReason,
  frameSkipReasons,
  isSupportedLinktype,
  LINKTYPE_IEEE802_11,
  LINKTYPE_IEEE802_11_RADIOTAP,
  parseFrame,
} from './ieee80211.js';
export {
  type CaptureSource,
  type CaptureSourceFormat,
  type CaptureSourceSummary,
  openCaptureFile,
} from './open.js';
export {
  type CaptureFileReader,
  type CaptureFormat,
  type CaptureReadOptions,
  type CaptureReadStats,
  type CaptureSkipReason,
  captureSkipReasons,
  detectCaptureFormat,
  readCaptureFile,
} from './pcap-file.js';
export {
  CaptureProducer,
  type CaptureProducerOptions,
  type CaptureProducerStats,
  pcapKey,
} from './producer.js';
export { type ReplayOptions, type ReplayProgress, replay } from './replay.js';
export {
  type CaptureWriteOptions,
  expectedRecord,
  frameBytes,
  type PcapngWriteOptions,
  type PcapWriteOptions,
  type RadiotapLayout,
  type SyntheticFrame,
  type SyntheticFrameKind,
  type SyntheticOptions,
  syntheticFrames,
  writePcap,
  writePcapng,
} from './synthetic.js';
export {
  captureWithTshark,
  TSHARK_FIELDS,
  type TsharkCapture,
  type TsharkCaptureOptions,
  type TsharkVersion,
  tsharkArgs,
  tsharkVersion,
} from './tshark.js';
