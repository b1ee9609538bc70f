import type { Alert } from '../probes/schemas.js';

/** Why a record could not be read. */
export interface UnreadableRecord {
  readonly unreadable: string;
}

/**
 * An `alerts` record's value (JSON `{ts, mac, ssid, reason, deviceName, suppressed?}`), or a short reason
 * why it cannot be read. A missing deviceName is read as null.
 */
export function decodeAlertRecord(value: Buffer | null): Alert | UnreadableRecord {
  if (value === null) return { unreadable: 'the value is null' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return { unreadable: 'the value is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { unreadable: 'the value is not a JSON object' };
  }
  const record = parsed as Record<string, unknown>;
  for (const field of ['ts', 'mac', 'ssid', 'reason'] as const) {
    if (typeof record[field] !== 'string') return { unreadable: `"${field}" is not a string` };
  }
  const deviceName = record.deviceName;
  if (deviceName !== undefined && deviceName !== null && typeof deviceName !== 'string') {
    return { unreadable: '"deviceName" is neither a string nor null' };
  }
  const suppressed = record.suppressed;
  if (suppressed !== undefined && !(Number.isSafeInteger(suppressed) && (suppressed as number) >= 0)) {
    return { unreadable: '"suppressed" is not a whole number >= 0' };
  }
  return {
    ts: record.ts as string,
    mac: record.mac as string,
    ssid: record.ssid as string,
    reason: record.reason as string,
    deviceName: deviceName ?? null,
    ...(suppressed === undefined ? {} : { suppressed: suppressed as number }),
  };
}
