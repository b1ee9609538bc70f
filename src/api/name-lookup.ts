import type { NameIndex } from '../probes/names.js';
import type { ProbeStats } from '../probes/schemas.js';
import { STORES } from '../probes/schemas.js';
import { compareSsids } from '../probes/stats.js';
import type { KeyRouter, RoutedAnswer } from './routing.js';

/** What a lookup by name found: the names whose figures were added up, and their sum. */
export interface NameLookup {
  readonly names: readonly string[];
  readonly stats: ProbeStats | undefined;
  /** The last store answer (for its headers), when one was asked for. */
  readonly answer: RoutedAnswer<ProbeStats> | undefined;
}

/** Two devices' figures as one: counts added, the earliest first and latest last probe, the SSIDs joined. */
export function addStats(a: ProbeStats, b: ProbeStats): ProbeStats {
  const ssids = [...new Set([...a.ssidsProbed, ...b.ssidsProbed])].sort(compareSsids);
  return {
    probeCount: a.probeCount + b.probeCount,
    firstProbe: Math.min(a.firstProbe, b.firstProbe),
    lastProbe: Math.max(a.lastProbe, b.lastProbe),
    ssidsProbed: ssids,
  };
}

/**
 * The figures for a name as a person typed it: the name as written first (one store read when it is
 * exact), then every known name that reads the same once case, accents and blanks are folded.
 */
export async function statsByName(router: KeyRouter, index: NameIndex, name: string): Promise<NameLookup> {
  const exact = await router.get<ProbeStats>(STORES.statsByName, name);
  if (exact.value !== undefined) return { names: [name], stats: exact.value, answer: exact };
  const names: string[] = [];
  let stats: ProbeStats | undefined;
  let answer: RoutedAnswer<ProbeStats> = exact;
  for (const candidate of index.resolve(name)) {
    if (candidate.name === name) continue;
    answer = await router.get<ProbeStats>(STORES.statsByName, candidate.name);
    if (answer.value === undefined) continue;
    names.push(candidate.name);
    stats = stats === undefined ? answer.value : addStats(stats, answer.value);
  }
  return { names, stats, answer };
}
