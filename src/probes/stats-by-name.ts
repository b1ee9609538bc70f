import { type AvroSchema, type KTable, Serdes } from '../topology/index.js';
import type { DeviceRecord, ProbeStats } from './schemas.js';
import { PROBE_STATS_SCHEMA, probeStatsSerde } from './schemas.js';
import { mergeStats } from './stats.js';

/** The repartition topic of the devices' stats regrouped by name. */
export const BY_NAME_REPARTITION = 'stats-by-name';

/** The per-name store of each device's stats under that name, by MAC: what the by-name stats are made of. */
export const NAME_MEMBERS_STORE = 'pcap-stats-by-name-members';

interface Member {
  readonly mac: string;
  readonly stats: ProbeStats;
}

type Members = Readonly<Record<string, ProbeStats>>;

interface NamedStats {
  readonly name: string;
  readonly stats: ProbeStats;
}

/** A record of a string field and a device's stats (Avro: written and read on every named update). */
const statsWith = (name: string, field: string) =>
  ({
    type: 'record',
    name,
    namespace: 'probestream',
    fields: [
      { name: field, type: 'string' },
      { name: 'stats', type: PROBE_STATS_SCHEMA },
    ],
  }) satisfies AvroSchema;

// Avro rather than JSON: a member is written to the repartition topic and a name's members to its store on
// every update of a named device's stats, and JSON cost several times as much to write and read.
const MEMBER_SCHEMA = statsWith('NameMember', 'mac');
const MEMBERS_SCHEMA = { type: 'map', values: PROBE_STATS_SCHEMA } satisfies AvroSchema;
/** A device's stats with its name, as the join makes them (and the regrouping keeps them, to take away). */
const NAMED_STATS_SCHEMA = statsWith('NamedStats', 'name');

/**
 * Stats by name over each device's whole history: the per-MAC stats table joined with the devices table,
 * regrouped by name. A device's stats are added under its name and taken away from the name it had, so a
 * name given after the fact shows every probe, a rename moves them, two devices with one name add up,
 * and a device that loses its name leaves (a name with no device left is deleted). Each name keeps its
 * devices' stats apart (first and last probe and the SSID set cannot be subtracted), and the store the
 * API reads, `storeName`, holds them merged.
 */
export function statsByName(
  statsByMac: KTable<string, ProbeStats>,
  devices: KTable<string, DeviceRecord>,
  storeName: string,
  persistent: boolean,
): KTable<string, ProbeStats> {
  const named = devices.filter((_mac, device) => typeof device.name === 'string' && device.name !== '');
  return statsByMac
    .join(
      named,
      (stats, device): NamedStats => ({ name: device.name as string, stats }),
      Serdes.Avro<NamedStats>(NAMED_STATS_SCHEMA),
    )
    .groupBy((mac, joined): readonly [string, Member] => [joined.name, { mac, stats: joined.stats }], {
      keySerde: Serdes.String(),
      valueSerde: Serdes.Avro<Member>(MEMBER_SCHEMA),
      name: BY_NAME_REPARTITION,
    })
    .aggregate<Members>(
      () => ({}),
      (_name, member, members) => ({ ...members, [member.mac]: member.stats }),
      (_name, member, members) => {
        const { [member.mac]: _gone, ...rest } = members;
        return rest;
      },
      { storeName: NAME_MEMBERS_STORE, valueSerde: Serdes.Avro<Members>(MEMBERS_SCHEMA), persistent },
    )
    .mapValues(
      (members) => {
        const all = Object.values(members);
        return (all.length === 0 ? null : mergeStats(all)) as ProbeStats;
      },
      probeStatsSerde(),
      { storeName, persistent },
    );
}
