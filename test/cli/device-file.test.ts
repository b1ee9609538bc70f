import { describe, expect, it } from 'vitest';
import { DeviceFileError, parseCsv, parseDeviceFile } from '../../src/cli/device-file.js';

describe('a file of device names to import', () => {
  it('shouldReadCsvFieldsWithQuotesCommasAndLineBreaks', () => {
    expect(parseCsv('mac,name\r\na,"Kitchen, ""big"" iPad"\nb,"two\nlines"\n')).toEqual([
      ['mac', 'name'],
      ['a', 'Kitchen, "big" iPad'],
      ['b', 'two\nlines'],
    ]);
    expect(() => parseCsv('a,"open')).toThrow(DeviceFileError);
  });

  it('shouldTakeGoodCsvRowsAndRefuseEachBadOneWithItsReason', () => {
    const csv = [
      'Name,MAC,Guest',
      'Kitchen iPad,A4-83-E7-4E-39-15,no',
      'Guest phone,02:00:00:00:00:01,yes',
      'Toaster,not-a-mac,',
      '   ,02:00:00:00:00:02,',
      'Again,a4:83:e7:4e:39:15,',
      'Odd,02:00:00:00:00:03,maybe',
      '',
      'Plain,02:00:00:00:00:04,',
    ].join('\n');
    expect(parseDeviceFile(csv, 'csv')).toEqual({
      taken: [
        { row: 2, mac: 'a4:83:e7:4e:39:15', name: 'Kitchen iPad', isGuest: false },
        { row: 3, mac: '02:00:00:00:00:01', name: 'Guest phone', isGuest: true },
        { row: 9, mac: '02:00:00:00:00:04', name: 'Plain', isGuest: false },
      ],
      refused: [
        { row: 4, reason: '"not-a-mac" is not a MAC address' },
        { row: 5, reason: 'a device name cannot be empty or blank' },
        { row: 6, reason: 'a4:83:e7:4e:39:15 is already named on row 2' },
        { row: 7, reason: 'the guest flag "maybe" is not true or false' },
      ],
    });
  });

  it('shouldLeaveTheGuestFlagToTheTableWhenTheFileHasNoGuestColumn', () => {
    expect(parseDeviceFile('mac,name\n02:00:00:00:00:01,TV\n', 'csv').taken).toEqual([
      { row: 2, mac: '02:00:00:00:00:01', name: 'TV', isGuest: undefined },
    ]);
  });

  it('shouldRefuseACsvWithoutTheColumnsItNeeds', () => {
    expect(() => parseDeviceFile('02:00:00:00:00:01,TV\n', 'csv')).toThrow(
      'the first line must name the columns: mac,name (and optionally guest)',
    );
  });

  it('shouldReadAJsonArrayWithGuestOrIsGuest', () => {
    const json = JSON.stringify([
      { mac: '02:00:00:00:00:01', name: 'TV', guest: true },
      { mac: '02:00:00:00:00:02', name: 'Laptop', is_guest: false },
      { mac: '02:00:00:00:00:03', name: 42 },
      'nonsense',
    ]);
    expect(parseDeviceFile(json, 'json')).toEqual({
      taken: [
        { row: 1, mac: '02:00:00:00:00:01', name: 'TV', isGuest: true },
        { row: 2, mac: '02:00:00:00:00:02', name: 'Laptop', isGuest: false },
      ],
      refused: [
        { row: 3, reason: 'no name' },
        { row: 4, reason: 'null is not a MAC address' },
      ],
    });
    expect(() => parseDeviceFile('{"mac":1}', 'json')).toThrow(
      'the file must hold a JSON array of {mac, name, guest}',
    );
    expect(() => parseDeviceFile('[', 'json')).toThrow(/^the file is not JSON/);
  });
});
