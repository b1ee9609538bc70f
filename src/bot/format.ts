import type { Alert } from '../probes/schemas.js';
import { escapeHtml, fitLines, show } from './html.js';
import { formatTime } from './time.js';

/**
 * The bot's texts, in Telegram's HTML parse mode. Pure functions: every dynamic string is shown through
 * `show` (invisible characters made visible, cut, escaped), and no text exceeds Telegram's 4096 limit.
 */

/** A device's figures as the API answers them (`GET /devices/:mac/stats` or `/devices/by-name/:name/stats`). */
export interface DeviceStats {
  readonly mac?: string;
  /** By MAC: the device's name in the devices table, or null. */
  readonly deviceName?: string | null;
  readonly name?: string;
  readonly probeCount: number;
  readonly firstProbe: string;
  readonly lastProbe: string;
  readonly uniqueSsidsProbed: number;
  readonly ssidsProbed: readonly (string | null)[];
}

/** An entry of the SSID alert list. */
export interface WatchedSsid {
  readonly ssid: string;
  readonly reason: string;
}

/** Why a query failed, as the API client reports it. */
export interface QueryFailure {
  /** The HTTP status, or undefined when no answer came. */
  readonly status: number | undefined;
  /** The API's error code, or TIMEOUT / UNREACHABLE / INVALID_RESPONSE. */
  readonly apiCode: string;
  readonly message: string;
}

/** How an SSID is shown: null (no SSID element) and "" (a wildcard probe) have names of their own. */
export function showSsid(ssid: string | null): string {
  if (ssid === null) return '<i>(none)</i>';
  if (ssid === '') return '<i>(wildcard)</i>';
  return show(ssid, 64);
}

function showTime(time: string, timeZone: string): string {
  return formatTime(time, timeZone) ?? show(time, 40);
}

/**
 * `📡 Wi-Fi probe stats for <device>` (with the device's name after a MAC, when it has one), the figures,
 * and the SSIDs (as many as fit).
 */
export function statsReply(device: string, stats: DeviceStats, timeZone: string): string {
  const named = typeof stats.deviceName === 'string' ? ` (${show(stats.deviceName, 128)})` : '';
  const head = [
    `📡 Wi-Fi probe stats for <b>${show(device)}</b>${named}`,
    `Earliest probe: ${showTime(stats.firstProbe, timeZone)}`,
    `Latest probe: ${showTime(stats.lastProbe, timeZone)}`,
    `Probe count: ${stats.probeCount}`,
    `Unique SSIDs: ${stats.uniqueSsidsProbed}`,
  ];
  return fitLines(
    head,
    stats.ssidsProbed.map((ssid) => `• ${showSsid(ssid)}`),
  );
}

/** `🛎 No result found for device <device>`, and the close names when there are some. */
export function noResultReply(device: string, suggestions: readonly string[] = []): string {
  const head = `🛎 No result found for device <b>${show(device)}</b>`;
  if (suggestions.length === 0) return head;
  return fitLines(
    [head, 'Did you mean:'],
    suggestions.map((name) => `• ${show(name, 128)}`),
  );
}

/** `🏷 <mac> is now named <name>`. */
export function namedReply(mac: string, name: string): string {
  return `🏷 <code>${show(mac, 40)}</code> is now named <b>${show(name, 256)}</b>`;
}

export function nameUsageReply(): string {
  return 'Usage: /name &lt;mac&gt; &lt;name&gt;, e.g. /name a4:83:e7:4e:39:15 Kitchen iPad';
}

/** `❌ Query failed (<status> <code>): <message>`, or `(timeout)` / `(unreachable)` when no answer came. */
export function queryFailedReply(failure: QueryFailure): string {
  const label =
    failure.status !== undefined
      ? `${failure.status} ${failure.apiCode}`
      : failure.apiCode === 'TIMEOUT'
        ? 'timeout'
        : 'unreachable';
  return `❌ Query failed (${show(label, 60)}): ${show(failure.message, 200)}`;
}

/** When a handler failed for a reason of the bot's own: the details are in its log, not in the chat. */
export function internalErrorReply(): string {
  return "❌ Query failed (internal error): the details are in the bot's log.";
}

/**
 * `📣 At <time> MAC address <mac> (<device name>) probed for SSID <ssid> — tracked because: <reason>`, and
 * with suppression, how many probes of the pair the previous window kept quiet.
 */
export function alertText(alert: Alert, timeZone: string): string {
  const device = alert.deviceName === null ? 'unknown device' : show(alert.deviceName, 128);
  const quiet = alert.suppressed
    ? ` (${alert.suppressed} more ${alert.suppressed === 1 ? 'probe' : 'probes'} of this pair in the previous window, not alerted)`
    : '';
  return (
    `📣 At ${showTime(alert.ts, timeZone)} MAC address <code>${show(alert.mac, 40)}</code> (${device}) ` +
    `probed for SSID <b>${showSsid(alert.ssid)}</b> — tracked because: ${show(alert.reason, 500)}${quiet}`
  );
}

export function watchUsageReply(): string {
  return (
    'Usage: /watch &lt;ssid&gt; [reason]\n' +
    'Quote an SSID that has spaces: /watch "Cafe Wi-Fi" seen near the office'
  );
}

export function unwatchUsageReply(): string {
  return 'Usage: /unwatch &lt;ssid&gt; (quote an SSID that has spaces)';
}

export function statsUsageReply(): string {
  return 'Usage: /stats &lt;mac|name&gt;, or send the MAC address or device name on its own.';
}

export function watchingReply(entry: WatchedSsid): string {
  return `👀 Watching SSID <b>${showSsid(entry.ssid)}</b> — tracked because: ${show(entry.reason, 500)}`;
}

export function unwatchedReply(ssid: string): string {
  return `🔕 No longer watching SSID <b>${showSsid(ssid)}</b>`;
}

export function notWatchedReply(ssid: string): string {
  return `🤷 SSID <b>${showSsid(ssid)}</b> is not watched, so nothing changed. /watched lists the watched SSIDs.`;
}

export function watchedListReply(entries: readonly WatchedSsid[]): string {
  if (entries.length === 0) return '👀 No SSID is watched. Add one with /watch &lt;ssid&gt; [reason].';
  return fitLines(
    [`👀 Watched SSIDs (${entries.length}):`],
    entries.map((entry) => `• <b>${showSsid(entry.ssid)}</b> — ${show(entry.reason, 200)}`),
  );
}

export function helpReply(timeZone: string): string {
  return [
    '📡 <b>probestream</b>: Wi-Fi probe statistics and SSID alerts.',
    '',
    'Send a MAC address (a4:83:e7:4e:39:15) or a device name to see what it probed for, or:',
    '/stats &lt;mac|name&gt; — a device’s probe statistics (names in any case; close names are offered)',
    '/name &lt;mac&gt; &lt;name&gt; — name a device',
    '/watch &lt;ssid&gt; [reason] — alert when a device probes for this SSID',
    '/unwatch &lt;ssid&gt; — stop alerting on this SSID',
    '/watched — the SSIDs that raise alerts',
    '/help — this text',
    '',
    `Times are shown in ${escapeHtml(timeZone)}. <i>(none)</i> is a probe request without an SSID, ` +
      '<i>(wildcard)</i> one for any network.',
  ].join('\n');
}

export function refusalReply(chatId: number): string {
  return (
    '🙅 Sorry, this bot only answers the chats it was set up for. ' +
    `Ask its owner to add this chat (id <code>${chatId}</code>) to TELEGRAM_ALLOWED_CHAT_IDS.`
  );
}

export function unknownCommandReply(): string {
  return '🤷 Unknown command. Send /help for the list.';
}
