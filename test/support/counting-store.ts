import { ForwardingStore, type KeyValue } from '../../src/stores/index.js';

/** Counts the entries every range read yields: expiry must read only what it expires. */
export class CountingStore extends ForwardingStore {
  read = 0;
  override range(from?: Buffer, to?: Buffer): AsyncIterable<KeyValue<Buffer, Buffer>> {
    const inner = this.inner.range(from, to);
    const counter = this;
    return (async function* () {
      for await (const entry of inner) {
        counter.read += 1;
        yield entry;
      }
    })();
  }
}
