import { describe, expect, it } from 'vitest';
import { eventAction, redactCredentials } from '../../src/capture/cdc-events.js';
import { CdcState, type WrittenDocument } from '../../src/capture/cdc-state.js';
import type { DeviceRecord } from '../../src/probes/schemas.js';

function user(mac: string, name: string): WrittenDocument {
  const record: DeviceRecord = {
    mac,
    source: 'user',
    name,
    ip: null,
    model: null,
    type: null,
    is_guest: false,
  };
  return { mac, record };
}

function gear(mac: string, name: string): WrittenDocument {
  return { mac, record: { ...user(mac, name).record, source: 'device' } };
}

const A = 'aa:aa:aa:aa:aa:01';
const B = 'bb:bb:bb:bb:bb:02';

describe('CdcState', () => {
  it('writes a new document record once, and nothing when it is set again unchanged', () => {
    const state = new CdcState();
    expect(state.setDocument('doc:ace.user:"1"', user(A, 'phone'))).toEqual({
      documentChanged: true,
      devices: [{ mac: A, record: user(A, 'phone').record }],
    });
    expect(state.setDocument('doc:ace.user:"1"', user(A, 'phone'))).toEqual({
      documentChanged: false,
      devices: [],
    });
  });

  it('writes a tombstone for the MAC of a deleted document', () => {
    const state = new CdcState();
    state.load('doc:ace.user:"1"', user(A, 'phone'));
    expect(state.setDocument('doc:ace.user:"1"', undefined)).toEqual({
      documentChanged: true,
      devices: [{ mac: A, record: null }],
    });
    expect(state.setDocument('doc:ace.user:"1"', undefined).devices).toEqual([]);
  });

  it('writes a tombstone for the old MAC before the record of the new one when a MAC changes', () => {
    const state = new CdcState();
    state.load('doc:ace.user:"1"', user(A, 'phone'));
    expect(state.setDocument('doc:ace.user:"1"', user(B, 'phone')).devices).toEqual([
      { mac: A, record: null },
      { mac: B, record: user(B, 'phone').record },
    ]);
  });

  it('keeps a MAC that two documents name, preferring ace.device, and falls back when one goes', () => {
    const state = new CdcState();
    expect(state.setDocument('doc:ace.user:"1"', user(A, 'client')).devices).toHaveLength(1);
    expect(state.setDocument('doc:ace.device:"9"', gear(A, 'gear')).devices).toEqual([
      { mac: A, record: gear(A, 'gear').record },
    ]);
    // The user document changes, but the MAC shows the gear: nothing to write.
    expect(state.setDocument('doc:ace.user:"1"', user(A, 'client 2')).devices).toEqual([]);
    expect(state.setDocument('doc:ace.device:"9"', undefined).devices).toEqual([
      { mac: A, record: user(A, 'client 2').record },
    ]);
  });

  it('forgets everything done since begin() on rollback, tokens included', () => {
    const state = new CdcState();
    state.load('doc:ace.user:"1"', user(A, 'phone'));
    state.loadToken('ace.user', '{"_data":"01"}');
    state.begin();
    state.setDocument('doc:ace.user:"1"', user(B, 'phone'));
    state.setDocument('doc:ace.user:"2"', user(A, 'tablet'));
    state.setToken('ace.user', '{"_data":"02"}');
    state.rollback();
    expect(state.document('doc:ace.user:"1"')).toEqual(user(A, 'phone'));
    expect(state.document('doc:ace.user:"2"')).toBeUndefined();
    expect(state.device(A)).toEqual(user(A, 'phone').record);
    expect(state.device(B)).toBeNull();
    expect(state.token('ace.user')).toBe('{"_data":"01"}');
  });

  it('lists the keys of one namespace, sorted', () => {
    const state = new CdcState();
    state.load('doc:ace.user:"b"', user(A, 'a'));
    state.load('doc:ace.device:"c"', gear(B, 'b'));
    state.load('doc:ace.user:"a"', user(B, 'c'));
    expect(state.keysOf('ace.user')).toEqual(['doc:ace.user:"a"', 'doc:ace.user:"b"']);
  });
});

describe('eventAction', () => {
  it("uses MongoDB's insert, replace and looked-up update events as they come", () => {
    for (const operationType of ['insert', 'replace', 'update']) {
      expect(
        eventAction({ operationType, documentKey: { _id: 'u1' }, fullDocument: { _id: 'u1', mac: A } }),
      ).toEqual({ kind: 'document', id: 'u1', document: { _id: 'u1', mac: A } });
    }
  });

  it('reads the document again when an update lookup found it deleted', () => {
    expect(eventAction({ operationType: 'update', documentKey: { _id: 'u1' }, fullDocument: null })).toEqual({
      kind: 'lookup',
      id: 'u1',
    });
  });

  it("asks for a resync on mongo-java-server's update and replace events", () => {
    // An update: the operators where the key belongs, only the changed fields as the document.
    expect(
      eventAction({
        operationType: 'update',
        documentKey: { $set: { name: 'x' } },
        fullDocument: { name: 'x' },
      }),
    ).toMatchObject({ kind: 'resync' });
    // A replacement: the new document as the key, an empty document.
    expect(
      eventAction({ operationType: 'update', documentKey: { _id: 'u1', mac: A }, fullDocument: {} }),
    ).toMatchObject({ kind: 'resync' });
  });

  it('deletes by documentKey._id, and resyncs on drop, rename and dropDatabase', () => {
    expect(eventAction({ operationType: 'delete', documentKey: { _id: 'u1' } })).toEqual({
      kind: 'delete',
      id: 'u1',
    });
    for (const operationType of ['drop', 'rename', 'dropDatabase']) {
      expect(eventAction({ operationType })).toMatchObject({ kind: 'resync' });
    }
    expect(eventAction({ operationType: 'invalidate' })).toEqual({ kind: 'invalidate' });
    expect(eventAction({ operationType: 'createIndexes' })).toEqual({ kind: 'ignore' });
  });
});

describe('redactCredentials', () => {
  it('removes user and password from every URL in a line', () => {
    expect(redactCredentials('mongodb://unifi:s3cret@10.0.0.1:27117/ace and mongodb+srv://a:b@x/')).toBe(
      'mongodb://***@10.0.0.1:27117/ace and mongodb+srv://***@x/',
    );
    expect(redactCredentials('mongodb://10.0.0.1:27117/')).toBe('mongodb://10.0.0.1:27117/');
  });
});
