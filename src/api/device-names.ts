import type { DeviceDirectory } from '../probes/device-directory.js';
import { type DeviceWriter, manualDevice } from '../probes/device-writer.js';
import { NameIndex } from '../probes/names.js';
import type { DeviceRecord } from '../probes/schemas.js';
import { ApiError } from './errors.js';

/** The devices table as the API reads and writes it: names by MAC, the name index, manual names. */
export interface DeviceNames {
  /** The record of a MAC (lower case, colon-separated), or undefined when the table does not know it. */
  get(mac: string): DeviceRecord | undefined;
  names(): NameIndex;
  /** Names the device (source `manual`), keeping what the table knows of it; resolves once durable. */
  setName(mac: string, name: string, isGuest?: boolean): Promise<DeviceRecord>;
  /** Removes the device's record (a tombstone), whatever its source; resolves once durable. */
  remove(mac: string): Promise<void>;
}

/** For a server without a devices table: no names, and writes refused. */
export const NO_DEVICE_NAMES: DeviceNames = Object.freeze({
  get: () => undefined,
  names: () => new NameIndex([]),
  setName: () => Promise.reject(unavailable()),
  remove: () => Promise.reject(unavailable()),
});

function unavailable(cause?: unknown): ApiError {
  return new ApiError('SERVICE_UNAVAILABLE', 'Kafka did not take the write to the devices table; try again', {
    retryAfterSeconds: 5,
    cause,
  });
}

/** Reads from the instance's copy of the table (DeviceDirectory), writes to the `devices` topic. */
export class KafkaDeviceNames implements DeviceNames {
  readonly #directory: DeviceDirectory;
  readonly #writer: DeviceWriter;

  constructor(directory: DeviceDirectory, writer: DeviceWriter) {
    this.#directory = directory;
    this.#writer = writer;
  }

  get(mac: string): DeviceRecord | undefined {
    return this.#directory.get(mac);
  }

  names(): NameIndex {
    return this.#directory.names();
  }

  async setName(mac: string, name: string, isGuest?: boolean): Promise<DeviceRecord> {
    const record = manualDevice(mac, name, this.#directory.get(mac), isGuest);
    try {
      await this.#writer.write([record]);
    } catch (error) {
      throw unavailable(error);
    }
    this.#directory.update(mac, record);
    return record;
  }

  async remove(mac: string): Promise<void> {
    try {
      await this.#writer.write([{ remove: mac }]);
    } catch (error) {
      throw unavailable(error);
    }
    this.#directory.update(mac, undefined);
  }
}
