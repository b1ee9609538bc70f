/**
 * ksqlDB's TIMESTAMPTOSTRING: epoch ms written with a Java date pattern (`yyyy-MM-dd HH:mm:ss`) in a time
 * zone. The pattern is read once into parts; the zone's wall-clock fields come from Intl. Letters other
 * than those below are refused, as Java refuses unknown ones.
 */

type Part = { readonly literal: string } | { readonly letter: string; readonly width: number };

const LETTERS = new Set(['y', 'M', 'd', 'H', 'h', 'k', 'K', 'm', 's', 'S', 'a', 'E', 'X', 'Z', 'D']);
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Reads a Java date pattern; throws RangeError with the reason when it is not one this formatter writes. */
export function parseDatePattern(pattern: string): readonly Part[] {
  const parts: Part[] = [];
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === "'") {
      if (pattern[i + 1] === "'") {
        parts.push({ literal: "'" });
        i += 2;
        continue;
      }
      let text = '';
      i++;
      for (;;) {
        if (i >= pattern.length) throw new RangeError('unterminated quote in the date pattern');
        if (pattern[i] === "'") {
          if (pattern[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += pattern[i];
        i++;
      }
      parts.push({ literal: text });
    } else if (/[A-Za-z]/.test(c)) {
      if (!LETTERS.has(c)) throw new RangeError(`the date pattern letter '${c}' is not supported`);
      let width = 1;
      while (pattern[i + width] === c) width++;
      parts.push({ letter: c, width });
      i += width;
    } else {
      parts.push({ literal: c });
      i++;
    }
  }
  return parts;
}

interface WallClock {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: number;
  /** Minutes east of UTC. */
  readonly offset: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws RangeError for a zone Intl does not know. */
export function checkTimeZone(zone: string): void {
  formatterFor(zone);
}

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    if (formatters.size > 1000) formatters.clear();
    formatters.set(zone, formatter);
  }
  return formatter;
}

function wallClock(ms: number, zone: string): WallClock {
  const fields: Record<string, number> = {};
  for (const part of formatterFor(zone).formatToParts(ms)) {
    if (part.type !== 'literal') fields[part.type] = Number(part.value);
  }
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = fields;
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
  const offset = Math.round((asUtc - (ms - (((ms % 1000) + 1000) % 1000))) / 60_000);
  return { year, month, day, hour, minute, second, weekday: new Date(asUtc).getUTCDay(), offset };
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function offsetText(minutes: number, letter: string, width: number): string {
  if (letter === 'X' && minutes === 0) return 'Z';
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  const hh = pad(Math.floor(abs / 60), 2);
  const mm = pad(abs % 60, 2);
  if (letter === 'X' && width === 1) return `${sign}${hh}`;
  return letter === 'X' && width >= 3 ? `${sign}${hh}:${mm}` : `${sign}${hh}${mm}`;
}

function dayOfYear(clock: WallClock): number {
  return (
    Math.round((Date.UTC(clock.year, clock.month - 1, clock.day) - Date.UTC(clock.year, 0, 1)) / 86_400_000) +
    1
  );
}

function field(part: { letter: string; width: number }, clock: WallClock, ms: number): string {
  const { letter, width } = part;
  switch (letter) {
    case 'y':
      return width === 2 ? pad(clock.year % 100, 2) : pad(clock.year, width);
    case 'M':
      if (width >= 4) return MONTHS[clock.month - 1] as string;
      if (width === 3) return (MONTHS[clock.month - 1] as string).slice(0, 3);
      return pad(clock.month, width);
    case 'd':
      return pad(clock.day, width);
    case 'D':
      return pad(dayOfYear(clock), width);
    case 'H':
      return pad(clock.hour, width);
    case 'k':
      return pad(clock.hour === 0 ? 24 : clock.hour, width);
    case 'K':
      return pad(clock.hour % 12, width);
    case 'h':
      return pad(clock.hour % 12 === 0 ? 12 : clock.hour % 12, width);
    case 'm':
      return pad(clock.minute, width);
    case 's':
      return pad(clock.second, width);
    case 'S':
      return pad(((ms % 1000) + 1000) % 1000, 3)
        .slice(0, Math.max(width, 3))
        .padEnd(width, '0');
    case 'a':
      return clock.hour < 12 ? 'AM' : 'PM';
    case 'E':
      return width >= 4 ? (DAYS[clock.weekday] as string) : (DAYS[clock.weekday] as string).slice(0, 3);
    default:
      return offsetText(clock.offset, letter, width);
  }
}

/** Writes `ms` with the parsed pattern in `zone` (an IANA name, or `UTC`). */
export function formatTimestamp(ms: number, parts: readonly Part[], zone: string): string {
  const clock = wallClock(ms, zone);
  let text = '';
  for (const part of parts) text += 'literal' in part ? part.literal : field(part, clock, ms);
  return text;
}
