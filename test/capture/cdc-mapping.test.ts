import { describe, expect, it } from 'vitest';
import {
  aceDocumentMac,
  deviceFromAceDevice,
  deviceFromAceUser,
  isOwnGear,
  mapAceDocument,
} from '../../src/capture/cdc-mapping.js';

describe('deviceFromAceDevice', () => {
  it('maps an ace.device document field for field, never as a guest', () => {
    expect(
      deviceFromAceDevice({
        _id: 'x',
        mac: 'F0:9F:C2:11:22:33',
        name: 'hall AP',
        ip: '192.168.1.2',
        model: 'U7PG2',
        type: 'uap',
        is_guest: true,
        adopted: true,
      }),
    ).toEqual({
      mac: 'f0:9f:c2:11:22:33',
      source: 'device',
      name: 'hall AP',
      ip: '192.168.1.2',
      model: 'U7PG2',
      type: 'uap',
      is_guest: false,
    });
  });

  it('writes null for every missing or non-scalar field', () => {
    expect(deviceFromAceDevice({ mac: 'f09fc2112233', name: null, ip: { v4: '1.2.3.4' } })).toEqual({
      mac: 'f0:9f:c2:11:22:33',
      source: 'device',
      name: null,
      ip: null,
      model: null,
      type: null,
      is_guest: false,
    });
  });

  it('keeps a numeric field as text', () => {
    expect(deviceFromAceDevice({ mac: 'f0:9f:c2:11:22:33', model: 6 })?.model).toBe('6');
  });

  it('maps nothing without a valid MAC', () => {
    expect(deviceFromAceDevice({ name: 'no mac' })).toBeUndefined();
    expect(deviceFromAceDevice({ mac: 'f0:9f:c2:11:22', name: 'short' })).toBeUndefined();
    expect(deviceFromAceDevice({ mac: 42 })).toBeUndefined();
  });
});

describe('deviceFromAceUser', () => {
  const user = { _id: 'u', mac: 'A4-83-E7-4E-39-15', oui: 'Apple', is_guest: false };

  it('names a client with both a name and a hostname "name (hostname)"', () => {
    expect(deviceFromAceUser({ ...user, name: "Robin's phone", hostname: 'iPhone' })).toEqual({
      mac: 'a4:83:e7:4e:39:15',
      source: 'user',
      name: "Robin's phone (iPhone)",
      ip: null,
      model: 'Apple',
      type: null,
      is_guest: false,
    });
  });

  it('names a client with only a name by its name', () => {
    expect(deviceFromAceUser({ ...user, name: 'kitchen tablet' })?.name).toBe('kitchen tablet');
  });

  it('names a client with only a hostname by its hostname', () => {
    expect(deviceFromAceUser({ ...user, hostname: 'android-5f2a' })?.name).toBe('android-5f2a');
  });

  it('names a guest with neither guest_<oui>', () => {
    expect(deviceFromAceUser({ ...user, is_guest: true })).toEqual({
      mac: 'a4:83:e7:4e:39:15',
      source: 'user',
      name: 'guest_Apple',
      ip: null,
      model: 'Apple',
      type: null,
      is_guest: true,
    });
  });

  it('names a non-guest with neither nonguest_<oui>, also when is_guest is missing', () => {
    expect(deviceFromAceUser(user)?.name).toBe('nonguest_Apple');
    expect(deviceFromAceUser({ mac: user.mac, oui: 'Apple' })).toMatchObject({
      name: 'nonguest_Apple',
      is_guest: false,
    });
  });

  it('counts an empty name or hostname as missing', () => {
    expect(deviceFromAceUser({ ...user, name: '', hostname: 'laptop' })?.name).toBe('laptop');
    expect(deviceFromAceUser({ ...user, name: '  ', hostname: '' })?.name).toBe('nonguest_Apple');
  });

  it('has no name and no model when it has neither name, hostname nor oui', () => {
    expect(deviceFromAceUser({ mac: user.mac, is_guest: true })).toEqual({
      mac: 'a4:83:e7:4e:39:15',
      source: 'user',
      name: null,
      ip: null,
      model: null,
      type: null,
      is_guest: true,
    });
  });

  it('takes ip and type when the document has them', () => {
    expect(deviceFromAceUser({ ...user, ip: '10.0.0.7', type: 'wireless' })).toMatchObject({
      ip: '10.0.0.7',
      type: 'wireless',
    });
  });

  it('writes nothing for the network own Ubiquiti gear, whatever its names', () => {
    expect(deviceFromAceUser({ ...user, oui: 'Ubiquiti', name: 'switch', hostname: 'usw' })).toBeUndefined();
    expect(deviceFromAceUser({ ...user, oui: 'ubiquiti ' })).toBeUndefined();
    expect(isOwnGear({ oui: 'Ubiquiti' })).toBe(true);
    expect(isOwnGear({ oui: 'Ubiquiti Networks Inc.' })).toBe(false);
  });

  it('maps nothing without a valid MAC', () => {
    expect(deviceFromAceUser({ ...user, mac: undefined })).toBeUndefined();
    expect(deviceFromAceUser({ ...user, mac: 'not a mac' })).toBeUndefined();
  });
});

describe('aceDocumentMac', () => {
  it('normalises a MAC to lower case with colons', () => {
    expect(aceDocumentMac({ mac: 'A4:83:E7:4E:39:15' })).toBe('a4:83:e7:4e:39:15');
    expect(aceDocumentMac({ mac: 'a4-83-e7-4e-39-15' })).toBe('a4:83:e7:4e:39:15');
    expect(aceDocumentMac({ mac: 'A483E74E3915' })).toBe('a4:83:e7:4e:39:15');
    expect(aceDocumentMac({ mac: ' a4:83:e7:4e:39:15 ' })).toBe('a4:83:e7:4e:39:15');
  });

  it('answers undefined for anything that is not six hex pairs', () => {
    expect(aceDocumentMac({})).toBeUndefined();
    expect(aceDocumentMac({ mac: null })).toBeUndefined();
    expect(aceDocumentMac({ mac: 'g4:83:e7:4e:39:15' })).toBeUndefined();
    expect(aceDocumentMac({ mac: 'a4:83:e7:4e:39:15:00' })).toBeUndefined();
  });
});

describe('mapAceDocument', () => {
  it('tells excluded gear from a document without a valid MAC', () => {
    expect(mapAceDocument('user', { mac: 'a4:83:e7:4e:39:15', oui: 'Ubiquiti' })).toEqual({
      kind: 'excluded',
    });
    expect(mapAceDocument('user', { mac: 'nope', oui: 'Apple' })).toEqual({
      kind: 'invalid-mac',
      mac: 'nope',
    });
    expect(mapAceDocument('device', { mac: 'nope' })).toEqual({ kind: 'invalid-mac', mac: 'nope' });
  });

  it('does not exclude Ubiquiti gear from ace.device', () => {
    expect(mapAceDocument('device', { mac: 'f0:9f:c2:11:22:33', oui: 'Ubiquiti' })).toMatchObject({
      kind: 'record',
      record: { mac: 'f0:9f:c2:11:22:33', source: 'device' },
    });
  });
});
