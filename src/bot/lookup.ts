import { normalizeMac } from '../probes/pcap.js';
import type { ProbestreamApiClient } from './api-client.js';
import { noResultReply, statsReply } from './format.js';

/** A lookup's answer: the text, and the names to offer instead when nothing matched (the bot's buttons). */
export interface LookupAnswer {
  /** Whether a device matched: the text is its stats, else it says nothing matched. */
  readonly found: boolean;
  readonly text: string;
  readonly suggestions: readonly string[];
}

/**
 * The answer to a lookup, as the bot sends it and `probestream query` prints it: a MAC-looking text is looked
 * up by MAC (and named when the devices table knows it), anything else by device name, whatever its case
 * and accents. Throws ApiRequestError when the API fails (queryFailedReply).
 */
export async function lookupReply(
  api: ProbestreamApiClient,
  text: string,
  timeZone: string,
): Promise<LookupAnswer> {
  const query = text.trim();
  const mac = normalizeMac(query);
  if (mac !== undefined) {
    const stats = await api.statsByMac(mac);
    return {
      found: stats !== undefined,
      text: stats === undefined ? noResultReply(mac) : statsReply(mac, stats, timeZone),
      suggestions: [],
    };
  }
  const { stats, suggestions } = await api.statsByName(query);
  if (stats === undefined) return { found: false, text: noResultReply(query, suggestions), suggestions };
  // The name as the devices table writes it, which may differ from the typed one in case or accents.
  return { found: true, text: statsReply(stats.name ?? query, stats, timeZone), suggestions: [] };
}
