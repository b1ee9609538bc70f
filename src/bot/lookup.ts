import { normalizeMac } from '../probes/pcap.js';
import type { ProbestreamApiClient } from './api-client.js';
import { noResultReply, statsReply } from './format.js';

/**
 * The answer to a lookup, as the bot sends it and `probestream query` prints it: a MAC-looking text is looked
 * up by MAC, anything else by device name. Throws ApiRequestError when the API fails (queryFailedReply).
 */
export async function lookupReply(
  api: ProbestreamApiClient,
  text: string,
  timeZone: string,
): Promise<string> {
  const query = text.trim();
  const mac = normalizeMac(query);
  const stats = mac === undefined ? await api.statsByName(query) : await api.statsByMac(mac);
  const device = mac ?? query;
  return stats === undefined ? noResultReply(device) : statsReply(device, stats, timeZone);
}
