import { nameProblem } from '../probes/names.js';
import { normalizeMac } from '../probes/pcap.js';

/** One device name a file gives, from the row it was on (1 is the first line). */
export interface NameRow {
  readonly row: number;
  readonly mac: string;
  readonly name: string;
  /** undefined: the file does not say (the table's flag is kept). */
  readonly isGuest: boolean | undefined;
}

export interface RefusedRow {
  readonly row: number;
  readonly reason: string;
}

export interface ParsedNames {
  readonly taken: readonly NameRow[];
  readonly refused: readonly RefusedRow[];
}

/** Thrown when the file as a whole cannot be read as names (not JSON, no `mac` column, …). */
export class DeviceFileError extends Error {
  override readonly name = 'DeviceFileError';
}

const GUEST_WORDS: Readonly<Record<string, boolean>> = {
  true: true,
  yes: true,
  '1': true,
  guest: true,
  false: false,
  no: false,
  '0': false,
  '': false,
};

/** The rows of a CSV text (RFC 4180: quoted fields may hold commas, quotes doubled, and line breaks). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i] as string;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"' && field === '') quoted = true;
    else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += char;
  }
  if (quoted) throw new DeviceFileError('the file ends inside a quoted field');
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** A row's fields as the import reads them, or why it cannot. */
function readRow(row: number, mac: unknown, name: unknown, guest: unknown): NameRow | RefusedRow {
  const normalized = typeof mac === 'string' ? normalizeMac(mac.trim()) : undefined;
  if (normalized === undefined) return { row, reason: `${JSON.stringify(mac ?? null)} is not a MAC address` };
  if (typeof name !== 'string') return { row, reason: 'no name' };
  const problem = nameProblem(name);
  if (problem !== undefined) return { row, reason: problem };
  let isGuest: boolean | undefined;
  if (typeof guest === 'boolean') isGuest = guest;
  else if (typeof guest === 'string') {
    isGuest = GUEST_WORDS[guest.trim().toLowerCase()];
    if (isGuest === undefined)
      return { row, reason: `the guest flag ${JSON.stringify(guest)} is not true or false` };
  } else if (guest !== undefined && guest !== null)
    return { row, reason: 'the guest flag is not true or false' };
  return { row, mac: normalized, name: name.trim(), isGuest };
}

/**
 * The names of a JSON file (an array of `{mac, name, guest?}`, `is_guest` also read) or a CSV file (a header
 * row naming `mac`, `name` and optionally `guest`, in any order). Each row is taken or refused with its
 * reason; a MAC given again is refused, so that one file means one name per device.
 */
export function parseDeviceFile(text: string, format: 'json' | 'csv'): ParsedNames {
  const rows: (NameRow | RefusedRow)[] = [];
  if (format === 'json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new DeviceFileError(`the file is not JSON: ${(error as Error).message}`);
    }
    if (!Array.isArray(data))
      throw new DeviceFileError('the file must hold a JSON array of {mac, name, guest}');
    data.forEach((item, i) => {
      const entry = (typeof item === 'object' && item !== null ? item : {}) as Record<string, unknown>;
      rows.push(readRow(i + 1, entry.mac, entry.name, entry.guest ?? entry.is_guest));
    });
  } else {
    const [header, ...body] = parseCsv(text.replace(/^\uFEFF/, ''));
    const columns = (header ?? []).map((cell) => cell.trim().toLowerCase());
    const at = (column: string) => columns.indexOf(column);
    if (at('mac') < 0 || at('name') < 0) {
      throw new DeviceFileError('the first line must name the columns: mac,name (and optionally guest)');
    }
    body.forEach((cells, i) => {
      if (cells.every((cell) => cell.trim() === '')) return;
      const guest = at('guest') < 0 ? undefined : (cells[at('guest')] ?? '');
      rows.push(readRow(i + 2, cells[at('mac')], cells[at('name')], guest));
    });
  }
  const taken: NameRow[] = [];
  const refused: RefusedRow[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    if ('reason' in row) refused.push(row);
    else if (seen.has(row.mac))
      refused.push({ row: row.row, reason: `${row.mac} is already named on row ${seen.get(row.mac)}` });
    else {
      seen.set(row.mac, row.row);
      taken.push(row);
    }
  }
  return { taken, refused };
}
