import { beforeEach, describe, expect, it } from 'vitest';
import {
  type ScanPart,
  type SelectPlan,
  type SelectStatement,
  SqlEngine,
  scanPart,
} from '../../src/query/index.js';
import type { RelationRow } from '../../src/topology/index.js';
import { MemoryRelationData, testCatalog } from './memory-data.js';

/** The same rows, held by two "instances" (even and odd keys), each scanned by its own part in any order. */
class ScatteredRelationData extends MemoryRelationData {
  parts = 0;

  async gatherScan(plan: SelectPlan, maxScanRows: number): Promise<readonly ScanPart[]> {
    const rows = [...(this.tables.get(plan.from.name)?.values() ?? [])].reverse();
    const held = (i: number) => rows.filter((row) => Number((row.key as string).slice(1)) % 2 === i);
    this.parts += 2;
    return Promise.all([scanPart(plan, held(0), maxScanRows), scanPart(plan, held(1), maxScanRows)]);
  }
}

const user = (i: number, visits: number): RelationRow => ({
  key: `u${i}`,
  rowtime: 0,
  columns: { NAME: `user ${i}`, VISITS: visits, TAGS: visits % 3 === 0 ? ['b'] : [] },
});

describe('a scan run by every instance over its own rows (scatter-gather)', () => {
  let paged: SqlEngine;
  let scattered: SqlEngine;
  let data: ScatteredRelationData;

  beforeEach(() => {
    const pagedData = new MemoryRelationData();
    data = new ScatteredRelationData();
    for (let i = 0; i < 12; i++) {
      pagedData.put('USERS', user(i, i));
      data.put('USERS', user(i, i));
    }
    paged = new SqlEngine({ catalog: testCatalog(), data: pagedData, limits: { maxScanRows: 12 } });
    scattered = new SqlEngine({ catalog: testCatalog(), data, limits: { maxScanRows: 12 } });
  });

  const run = (engine: SqlEngine, sql: string) =>
    engine.pull(engine.plan(engine.parse(sql)[0] as SelectStatement));

  it.each([
    "SELECT ROWKEY, VISITS FROM USERS WHERE ARRAY_CONTAINS(TAGS, 'b')",
    'SELECT ROWKEY FROM USERS WHERE VISITS >= 4 LIMIT 3',
    'SELECT * FROM USERS WHERE VISITS < 100',
    "SELECT UCASE(NAME) AS N FROM USERS WHERE NAME LIKE 'user 1%' LIMIT 2",
  ])('answers %s as a scan in key order would, whatever order each part reads', async (sql) => {
    const expected = await run(paged, sql);
    expect(expected.length).toBeGreaterThan(0);
    expect(await run(scattered, sql)).toEqual(expected);
    expect(data.parts).toBe(2);
  });

  it('keeps the first LIMIT rows by key across parts, not the first each part read', async () => {
    expect(await run(scattered, 'SELECT ROWKEY FROM USERS WHERE VISITS >= 0 LIMIT 4')).toEqual([
      ['u0'],
      ['u1'],
      ['u10'],
      ['u11'],
    ]);
  });

  it('refuses a scan that reads more rows than its cap in all, unless LIMIT rows were found', async () => {
    data.put('USERS', user(12, 12));
    await expect(run(scattered, 'SELECT ROWKEY FROM USERS WHERE VISITS > 100')).rejects.toMatchObject({
      code: 'SQL_LIMIT_EXCEEDED',
    });
    expect(await run(scattered, 'SELECT ROWKEY FROM USERS WHERE VISITS = 12 LIMIT 1')).toEqual([['u12']]);
    await expect(run(scattered, 'SELECT ROWKEY FROM USERS WHERE VISITS > 100 LIMIT 1')).rejects.toMatchObject(
      { code: 'SQL_LIMIT_EXCEEDED' },
    );
  });

  it('stops a part without LIMIT as soon as it has read past the cap', async () => {
    const plan = scattered.plan(scattered.parse('SELECT ROWKEY FROM USERS')[0] as SelectStatement);
    const rows = Array.from({ length: 100 }, (_, i) => user(i, i));
    expect(await scanPart(plan, rows, 10)).toEqual({ rows: [], read: 11, exceeded: true });
  });
});
