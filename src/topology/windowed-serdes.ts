import { type Serde, Serdes } from '../serdes/index.js';
import type { Windowed } from '../stores/index.js';

/**
 * Serdes for windowed keys, in Kafka Streams' byte formats so that Java consumers can read them: a time
 * window is the key's bytes then its start (8 bytes, big-endian); a session, the key's bytes then its end
 * and its start. A time window's end is not written: its size gives it back.
 */
export const WindowedSerdes = Object.freeze({
  timeWindowed<K>(inner: Serde<K>, windowSizeMs: number): Serde<Windowed<K>> {
    return Serdes.from(
      (windowed, topic) =>
        Buffer.concat([inner.serialize(windowed.key, topic), int64(windowed.window.start)]),
      (data, topic) => {
        const start = Number(data.readBigInt64BE(data.length - 8));
        const key = inner.deserialize(data.subarray(0, data.length - 8), topic);
        return { key, window: { start, end: start + windowSizeMs } };
      },
    );
  },
  sessionWindowed<K>(inner: Serde<K>): Serde<Windowed<K>> {
    return Serdes.from(
      (windowed, topic) =>
        Buffer.concat([
          inner.serialize(windowed.key, topic),
          int64(windowed.window.end),
          int64(windowed.window.start),
        ]),
      (data, topic) => {
        const end = Number(data.readBigInt64BE(data.length - 16));
        const start = Number(data.readBigInt64BE(data.length - 8));
        return { key: inner.deserialize(data.subarray(0, data.length - 16), topic), window: { start, end } };
      },
    );
  },
});

function int64(n: number): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeBigInt64BE(BigInt(n));
  return bytes;
}
