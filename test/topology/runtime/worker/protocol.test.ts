import { describe, expect, it } from 'vitest';
import { StoreError } from '../../../../src/stores/index.js';
import { SerdeError, StreamsError } from '../../../../src/topology/errors.js';
import { deserializeError, serializeError } from '../../../../src/topology/runtime/worker/protocol.js';

/** An error as the parent thread sees it after the worker posted it (structured cloning included). */
const across = (error: unknown) => deserializeError(structuredClone(serializeError(error)));

describe('errors across the worker boundary', () => {
  it('keeps the engine error class, code, name, message, stack and cause', () => {
    const cause = Object.assign(new Error('broker said no'), { code: 'KAFKA_REFUSED' });
    const original = new StreamsError('COMMIT_FAILED', 'commit refused', { cause });
    const copy = across(original);
    expect(copy).toBeInstanceOf(StreamsError);
    expect(copy).toMatchObject({ name: 'StreamsError', code: 'COMMIT_FAILED', message: 'commit refused' });
    expect(copy.stack).toBe(original.stack);
    expect(copy.cause).toMatchObject({ message: 'broker said no', code: 'KAFKA_REFUSED' });
  });

  it("keeps a subclass's name, a store error's class, and plain errors' codes", () => {
    const serde = across(new SerdeError('SERDE_DESERIALIZATION_FAILED', 'truncated Avro'));
    expect(serde).toMatchObject({ name: 'SerdeError', code: 'SERDE_DESERIALIZATION_FAILED' });
    const store = across(new StoreError('STORE_NOT_OPEN', 'store counts is not open'));
    expect(store).toBeInstanceOf(StoreError);
    expect(store).toMatchObject({ code: 'STORE_NOT_OPEN', message: 'store counts is not open' });
    const plain = across(Object.assign(new TypeError('bad'), { code: 'ERR_X' }));
    expect(plain).toMatchObject({ name: 'TypeError', code: 'ERR_X', message: 'bad' });
    expect(across('a string thrown')).toMatchObject({ name: 'Error', message: 'a string thrown' });
  });
});
