import type { ProbeRequest } from './pcap.js';
import type { ProbeStats } from './schemas.js';

/** The stats of a device that has not probed yet: the aggregation's initial value. */
export function emptyStats(): ProbeStats {
  return { probeCount: 0, firstProbe: Number.MAX_SAFE_INTEGER, lastProbe: 0, ssidsProbed: [] };
}

/** null (the absent SSID) first, then the strings in code-unit order: a stable order for every instance. */
export function compareSsids(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/**
 * Adds one probe request. Returns a new object and never changes `stats` (stores and caches may hold it);
 * the SSID array is copied only when the SSID is new to the device. Out-of-order records are fine: first
 * and last probe are the minimum and maximum event time.
 */
export function addProbe(stats: ProbeStats, probe: ProbeRequest): ProbeStats {
  const ssids = stats.ssidsProbed;
  let ssidsProbed = ssids;
  let low = 0;
  let high = ssids.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (compareSsids(ssids[mid] as string | null, probe.ssid) < 0) low = mid + 1;
    else high = mid;
  }
  if (low === ssids.length || compareSsids(ssids[low] as string | null, probe.ssid) !== 0) {
    ssidsProbed = [...ssids.slice(0, low), probe.ssid, ...ssids.slice(low)];
  }
  return {
    probeCount: stats.probeCount + 1,
    firstProbe: Math.min(stats.firstProbe, probe.timestamp),
    lastProbe: Math.max(stats.lastProbe, probe.timestamp),
    ssidsProbed,
  };
}

/** The stats of several devices taken together: counts added, the earliest first and latest last probe, SSIDs united. */
export function mergeStats(all: readonly ProbeStats[]): ProbeStats {
  const ssids = new Set<string | null>();
  let merged = emptyStats();
  for (const stats of all) {
    for (const ssid of stats.ssidsProbed) ssids.add(ssid);
    merged = {
      probeCount: merged.probeCount + stats.probeCount,
      firstProbe: Math.min(merged.firstProbe, stats.firstProbe),
      lastProbe: Math.max(merged.lastProbe, stats.lastProbe),
      ssidsProbed: [],
    };
  }
  return { ...merged, ssidsProbed: [...ssids].sort(compareSsids) };
}
