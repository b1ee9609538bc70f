/** Times as people read them: `yyyy-MM-dd HH:mm:ss` in a time zone. */

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * `time` (a Date, epoch ms, or ISO-8601 text) as `yyyy-MM-dd HH:mm:ss` in `timeZone` (an IANA name), or
 * undefined when it is not a valid time.
 */
export function formatTime(time: Date | number | string, timeZone: string): string | undefined {
  const date = time instanceof Date ? time : new Date(time);
  if (Number.isNaN(date.getTime())) return undefined;
  const parts: Record<string, string> = {};
  for (const part of formatterFor(timeZone).formatToParts(date)) parts[part.type] = part.value;
  const { year, month, day, hour, minute, second } = parts;
  return `${year}-${month}-${day} ${hour}:${minute}:${second}`;
}
