import { describe, expect, it } from 'vitest';
import { decodeAlertRecord } from '../../src/bot/alert-record.js';
import { parseSsidArgument } from '../../src/bot/command-arguments.js';

describe('parseSsidArgument', () => {
  it('shouldTakeTheFirstWordAsTheSsidAndTheRestAsTheReason', () => {
    expect(parseSsidArgument('RNM0 a watched network')).toEqual({ ssid: 'RNM0', rest: 'a watched network' });
    expect(parseSsidArgument('  RNM0  ')).toEqual({ ssid: 'RNM0', rest: '' });
  });

  it('shouldTakeAQuotedSsidWithSpacesStraightOrCurly', () => {
    expect(parseSsidArgument('"Cafe Wi-Fi" near work')).toEqual({ ssid: 'Cafe Wi-Fi', rest: 'near work' });
    expect(parseSsidArgument('“Cafe Wi-Fi”')).toEqual({ ssid: 'Cafe Wi-Fi', rest: '' });
  });

  it('shouldReadAnUnclosedQuoteAsPartOfTheWord', () => {
    expect(parseSsidArgument('"Cafe Wi-Fi')).toEqual({ ssid: '"Cafe', rest: 'Wi-Fi' });
  });

  it('shouldFindNoSsidInEmptyText', () => {
    expect(parseSsidArgument('   ')).toBeUndefined();
  });
});

describe('decodeAlertRecord', () => {
  const alert = {
    ts: '2020-04-22T14:05:40.000Z',
    mac: 'a4:83:e7:4e:39:15',
    ssid: 'RNM0',
    reason: 'r',
    deviceName: 'n',
  };

  it('shouldReadAnAlertAndAMissingDeviceNameAsNull', () => {
    expect(decodeAlertRecord(Buffer.from(JSON.stringify(alert)))).toEqual(alert);
    const { deviceName: _, ...nameless } = alert;
    expect(decodeAlertRecord(Buffer.from(JSON.stringify(nameless)))).toEqual({ ...alert, deviceName: null });
  });

  it('shouldSayWhyARecordIsUnreadable', () => {
    expect(decodeAlertRecord(null)).toEqual({ unreadable: 'the value is null' });
    expect(decodeAlertRecord(Buffer.from('{not json'))).toEqual({ unreadable: 'the value is not JSON' });
    expect(decodeAlertRecord(Buffer.from('[1]'))).toEqual({ unreadable: 'the value is not a JSON object' });
    expect(decodeAlertRecord(Buffer.from(JSON.stringify({ ...alert, ssid: 4 })))).toEqual({
      unreadable: '"ssid" is not a string',
    });
  });
});
