import { describe, expect, it } from 'vitest';
import {
  formatColumnType,
  parseColumnType,
  RelationCatalog,
  Serdes,
  StreamsBuilder,
} from '../../src/topology/index.js';

function topology() {
  const builder = new StreamsBuilder();
  builder.table('users', { valueSerde: Serdes.Json(), materialized: 'users-store' });
  return builder.build();
}

const declaration = {
  topic: 'users',
  valueSerde: Serdes.Json(),
  valueFormat: 'JSON',
  row: (key: string | null) => ({ key, rowtime: 0, columns: {} }),
};

describe('RelationCatalog', () => {
  it('reads column types as ksqlDB writes them', () => {
    expect(parseColumnType('varchar')).toBe('STRING');
    expect(parseColumnType('INT')).toBe('INTEGER');
    expect(formatColumnType(parseColumnType('ARRAY<ARRAY<VARCHAR>>'))).toBe('ARRAY<ARRAY<STRING>>');
    expect(() => parseColumnType('MAP<STRING, INT>')).toThrow(TypeError);
  });

  it('finds relations by name in any case, in the order declared', () => {
    const catalog = new RelationCatalog(topology())
      .table({ ...declaration, name: 'USERS', store: 'users-store', columns: [['NAME', 'VARCHAR']] })
      .stream({ ...declaration, name: 'CLICKS', columns: [] });
    expect(catalog.get('users')?.columns).toEqual([{ name: 'NAME', type: 'STRING' }]);
    expect(catalog.list().map((r) => r.kind)).toEqual(['TABLE', 'STREAM']);
    expect(catalog.queries()).toEqual([
      { id: 'SUBTOPOLOGY_0', sources: ['users'], sinks: [], stores: ['users-store'] },
    ]);
  });

  it('refuses a store the topology lacks, a name twice, lower-case names and a column named as the key', () => {
    const catalog = new RelationCatalog(topology());
    expect(() => catalog.table({ ...declaration, name: 'X', store: 'nope', columns: [] })).toThrow(
      /no store nope/,
    );
    catalog.stream({ ...declaration, name: 'X', columns: [] });
    expect(() => catalog.stream({ ...declaration, name: 'X', columns: [] })).toThrow(/declared twice/);
    expect(() => catalog.stream({ ...declaration, name: 'y', columns: [] })).toThrow(/UPPER_CASE/);
    expect(() => catalog.stream({ ...declaration, name: 'Z', columns: [['ROWKEY', 'INT']] })).toThrow(
      /not a new/,
    );
  });
});
