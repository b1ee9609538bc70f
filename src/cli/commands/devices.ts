import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Kafka } from 'kafkajs';
import { DeviceDirectory } from '../../probes/device-directory.js';
import { DeviceWriter, manualDevice } from '../../probes/device-writer.js';
import { foldName, nameProblem } from '../../probes/names.js';
import { normalizeMac } from '../../probes/pcap.js';
import type { DeviceRecord } from '../../probes/schemas.js';
import { defineCommand, UsageError } from '../command.js';
import { DeviceFileError, parseDeviceFile } from '../device-file.js';
import { createKafka, createMissingTopics, KAFKA_SETTINGS } from '../kafka.js';
import { count } from '../progress.js';

const USAGE = 'list | set <mac> <name> | rm <mac> | import <file.json|file.csv>';

/** A name as a terminal may show it: in quotes, with control and format characters (escapes) written out. */
function shown(text: string): string {
  const escaped = text.replace(/["\\]/g, '\\$&').replace(/[\p{Cc}\p{Cf}]/gu, (char) => {
    return `\\u{${(char.codePointAt(0) as number).toString(16)}}`;
  });
  return `"${escaped}"`;
}

/** The whole devices table, as it is now. */
async function readTable(kafka: Kafka): Promise<DeviceDirectory> {
  const directory = new DeviceDirectory({ kafka });
  await directory.start({ follow: false });
  return directory;
}

function macArgument(text: string | undefined): string {
  const mac = text === undefined ? undefined : normalizeMac(text.trim());
  if (mac === undefined)
    throw new UsageError(`${JSON.stringify(text ?? '')} is not a MAC address (six hex pairs)`);
  return mac;
}

export const devicesCommand = defineCommand({
  name: 'devices',
  summary: 'Name devices without a UniFi controller: list, set, remove or import names in the devices topic.',
  arguments: USAGE,
  positionals: { min: 1, max: 3 },
  description: `
  list                      every device of the devices topic: MAC, name, source (device, user, manual), guest
  set <mac> <name>          names a device (source manual), keeping what the table knows of it (IP, model)
  rm <mac>                  removes a device from the table (a tombstone), whatever named it
  import <file>             names from a JSON array of {mac, name, guest} or a CSV file with a header line
                            mac,name[,guest] (guest: true/false, yes/no, 1/0); prints the rows taken and the
                            rows refused with the reason; exits 1 when any was refused (the others are written)

Names are what the CDC writes (same record, source manual); the latest write of a device wins, so a later
change to the device in MongoDB replaces a manual name, and a CDC snapshot that does not change it keeps it.
Creates the topics when they are missing (--partitions).`,
  settings: [...KAFKA_SETTINGS, 'partitions'],
  async run({ settings, positionals, stdout, stderr }) {
    const [action, first, second] = positionals;
    const expect = (n: number) => {
      if (positionals.length !== n) throw new UsageError(`expected ${USAGE}`);
    };
    const kafka = createKafka(settings, 'probestream-devices');
    await createMissingTopics(kafka, settings.partitions);
    switch (action) {
      case 'list': {
        expect(1);
        const directory = await readTable(kafka);
        await directory.close();
        // By name as people read names (case and accents aside), then by MAC.
        const order = (d: DeviceRecord) => `${foldName(d.name ?? '')}\u0000${d.mac}`;
        const devices = [...directory.devices()].sort((a, b) => (order(a) < order(b) ? -1 : 1));
        for (const device of devices) {
          const name = device.name === null ? '(no name)' : shown(device.name);
          stdout.write(`${device.mac}  ${name}  ${device.source}${device.is_guest ? ' guest' : ''}\n`);
        }
        stderr.write(`${count(devices.length)} devices\n`);
        return 0;
      }
      case 'set': {
        expect(3);
        const mac = macArgument(first);
        const name = (second as string).trim();
        const problem = nameProblem(name);
        if (problem !== undefined) throw new UsageError(problem);
        return write(kafka, async (directory, writer) => {
          await writer.write([manualDevice(mac, name, directory.get(mac))]);
          stdout.write(`${mac} is now named ${shown(name)}\n`);
          return 0;
        });
      }
      case 'rm': {
        expect(2);
        const mac = macArgument(first);
        const writer = new DeviceWriter(kafka);
        try {
          await writer.write([{ remove: mac }]);
        } finally {
          await writer.close();
        }
        stdout.write(`${mac} removed from the devices table\n`);
        return 0;
      }
      case 'import': {
        expect(2);
        const parsed = await readDeviceFile(first as string);
        return write(kafka, async (directory, writer) => {
          const records = parsed.taken.map((row) =>
            manualDevice(row.mac, row.name, directory.get(row.mac), row.isGuest),
          );
          // One produce request per thousand: a large file is not one request over the broker's limit.
          for (let i = 0; i < records.length; i += 1000) await writer.write(records.slice(i, i + 1000));
          stdout.write(`${count(parsed.taken.length)} rows taken, ${count(parsed.refused.length)} refused\n`);
          for (const { row, reason } of parsed.refused) stdout.write(`  row ${row}: ${reason}\n`);
          return parsed.refused.length === 0 ? 0 : 1;
        });
      }
      default:
        throw new UsageError(`unknown action ${JSON.stringify(action)}: expected ${USAGE}`);
    }
  },
});

/** A .json or .csv device file's rows; a UsageError names what is wrong with the file. */
async function readDeviceFile(path: string): Promise<ReturnType<typeof parseDeviceFile>> {
  const extension = extname(path).toLowerCase();
  const format = extension === '.csv' ? 'csv' : extension === '.json' ? 'json' : undefined;
  if (format === undefined)
    throw new UsageError(`import reads a .json or a .csv file, not ${JSON.stringify(path)}`);
  try {
    return parseDeviceFile(await readFile(path, 'utf8'), format);
  } catch (error) {
    if (error instanceof DeviceFileError) throw new UsageError(`${path}: ${error.message}`, 1);
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`${path}: no such file`, 1);
    throw error;
  }
}

/** Reads the table (to keep what it knows of each device), then writes through one producer. */
async function write(
  kafka: Kafka,
  work: (directory: DeviceDirectory, writer: DeviceWriter) => Promise<number>,
): Promise<number> {
  const directory = await readTable(kafka);
  const writer = new DeviceWriter(kafka);
  try {
    return await work(directory, writer);
  } finally {
    await writer.close();
    await directory.close();
  }
}
