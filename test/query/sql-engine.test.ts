import { beforeEach, describe, expect, it } from 'vitest';
import { type SelectStatement, SqlEngine, SqlError, schemaText } from '../../src/query/index.js';
import { MemoryRelationData, testCatalog } from './memory-data.js';

describe('SqlEngine', () => {
  let data: MemoryRelationData;
  let engine: SqlEngine;

  beforeEach(() => {
    data = new MemoryRelationData();
    engine = new SqlEngine({ catalog: testCatalog(), data, limits: { maxScanRows: 5 } });
    data.put('USERS', { key: 'u1', rowtime: 10, columns: { NAME: 'Ann', VISITS: 3, TAGS: ['a', 'b'] } });
    data.put('USERS', { key: 'u2', rowtime: 20, columns: { NAME: "O'Brien", VISITS: 7, TAGS: [] } });
    data.put('USERS', { key: 'u3', rowtime: 30, columns: { NAME: null, VISITS: 1, TAGS: ['b'] } });
  });

  const plan = (sql: string) => engine.plan(engine.parse(sql)[0] as SelectStatement);
  const pull = (sql: string) => engine.pull(plan(sql));
  const failure = (run: () => unknown): SqlError => {
    try {
      run();
    } catch (error) {
      if (error instanceof SqlError) return error;
      throw error;
    }
    throw new Error('did not fail');
  };

  it('looks a pull query up by key and names its columns as ksqlDB does', async () => {
    const p = plan("SELECT ROWKEY, VISITS, UCASE(NAME), TAGS[2] AS SECOND FROM users WHERE ROWKEY = 'u1';");
    expect(p.keys).toEqual(['u1']);
    expect(schemaText(p.columns)).toBe(
      '`ROWKEY` STRING KEY, `VISITS` BIGINT, `KSQL_COL_0` STRING, `SECOND` STRING',
    );
    expect(await engine.pull(p)).toEqual([['u1', 3, 'ANN', 'b']]);
    expect(data.gets).toBe(1);
  });

  it('answers IN with one lookup per key, and nothing for a missing key', async () => {
    expect(await pull("SELECT ROWKEY FROM USERS WHERE ROWKEY IN ('u2', 'nobody', 'u2')")).toEqual([['u2']]);
    expect(data.gets).toBe(2);
  });

  it('scans for other predicates, with ARRAY_CONTAINS, LIKE, IS NULL and LIMIT', async () => {
    expect(await pull("SELECT ROWKEY FROM USERS WHERE ARRAY_CONTAINS(TAGS, 'b')")).toEqual([['u1'], ['u3']]);
    expect(await pull("SELECT ROWKEY FROM USERS WHERE NAME LIKE 'O''%'")).toEqual([['u2']]);
    expect(await pull('SELECT ROWKEY FROM USERS WHERE NAME IS NULL')).toEqual([['u3']]);
    expect(await pull('SELECT ROWKEY FROM USERS WHERE VISITS * 2 >= 6 LIMIT 1')).toEqual([['u1']]);
    expect(await pull('SELECT * FROM USERS WHERE NOT (VISITS <> 7)')).toEqual([['u2', "O'Brien", 7, []]]);
  });

  it('refuses a scan that reads more rows than its cap', async () => {
    for (let i = 0; i < 10; i++) data.put('USERS', { key: `x${i}`, rowtime: 0, columns: { VISITS: 0 } });
    await expect(pull('SELECT ROWKEY FROM USERS WHERE VISITS > 100')).rejects.toMatchObject({
      code: 'SQL_LIMIT_EXCEEDED',
    });
    expect(await pull('SELECT ROWKEY FROM USERS WHERE VISITS = 0 LIMIT 2')).toHaveLength(2);
  });

  it('never treats a literal as code: quotes, semicolons and comments stay in the string', async () => {
    const rows = await pull("SELECT ROWKEY FROM USERS WHERE NAME = 'x'' OR ''1''=''1'; -- '");
    expect(rows).toEqual([]);
  });

  it('gives the line and column of a parse error', () => {
    const error = failure(() => engine.parse('SELECT ROWKEY\nFROM USERS WHERE ROWKEY = ;'));
    expect(error.code).toBe('SQL_PARSE_ERROR');
    expect(error.position).toMatchObject({ line: 2, column: 27 });
    expect(error.message).toBe("line 2:27: expected an expression but found ';'");
    expect(failure(() => engine.parse("SELECT 'abc FROM USERS")).message).toBe(
      'line 1:8: string literal not terminated: a quote is missing',
    );
  });

  it('names unknown relations, columns and functions, and type mistakes', () => {
    expect(failure(() => plan('SELECT * FROM NOPE')).code).toBe('SQL_UNKNOWN_RELATION');
    expect(failure(() => plan('SELECT AGE FROM USERS')).message).toBe('line 1:8: USERS has no column AGE');
    expect(failure(() => plan('SELECT FOO(NAME) FROM USERS')).code).toBe('SQL_UNKNOWN_FUNCTION');
    expect(failure(() => plan("SELECT * FROM USERS WHERE VISITS = 'x'")).code).toBe('SQL_TYPE_ERROR');
    expect(failure(() => plan('SELECT * FROM CLICKS')).code).toBe('SQL_UNSUPPORTED');
    expect(failure(() => engine.parse('CREATE STREAM X AS SELECT * FROM CLICKS;')).code).toBe(
      'SQL_UNSUPPORTED',
    );
  });

  it('refuses statements past the size and nesting limits', () => {
    expect(failure(() => engine.parse(`SELECT '${'x'.repeat(70_000)}' FROM USERS`)).code).toBe(
      'SQL_LIMIT_EXCEEDED',
    );
    expect(failure(() => engine.parse(`SELECT ${'('.repeat(100)}1${')'.repeat(100)} FROM USERS`)).code).toBe(
      'SQL_LIMIT_EXCEEDED',
    );
    expect(
      failure(() => engine.parse(`SELECT * FROM USERS WHERE ${Array(200).fill('VISITS = 1').join(' OR ')}`))
        .code,
    ).toBe('SQL_LIMIT_EXCEEDED');
    expect(failure(() => engine.parse(`SELECT TAGS${'[1]'.repeat(100)} FROM USERS`)).code).toBe(
      'SQL_LIMIT_EXCEEDED',
    );
  });

  it('formats TIMESTAMPTOSTRING as Java does, in the time zone given', async () => {
    data.put('USERS', { key: 'ts', rowtime: 1_587_564_340_123, columns: {} });
    const rows = await pull(
      "SELECT TIMESTAMPTOSTRING(ROWTIME, 'yyyy-MM-dd HH:mm:ss', 'Europe/London'), TIMESTAMPTOSTRING(ROWTIME, 'yyyy-MM-dd''T''HH:mm:ss.SSSX') FROM USERS WHERE ROWKEY = 'ts'",
    );
    expect(rows).toEqual([['2020-04-22 15:05:40', '2020-04-22T14:05:40.123Z']]);
    expect(
      failure(() => plan("SELECT TIMESTAMPTOSTRING(ROWTIME, 'yyyy', 'Mars/Base') FROM USERS")).code,
    ).toBe('SQL_TYPE_ERROR');
  });

  it('pushes stream rows joined with the current state of a table, until LIMIT', async () => {
    const rows: unknown[][] = [];
    let ended: string | undefined;
    const p = plan(
      'SELECT C.USER_ID, U.NAME AS NAME, C.PAGES[1] FROM CLICKS C INNER JOIN USERS U ON C.USER_ID = U.ROWKEY EMIT CHANGES LIMIT 2;',
    );
    expect(schemaText(p.columns)).toBe('`USER_ID` STRING, `NAME` STRING, `KSQL_COL_0` STRING');
    await engine.push(p, 'latest', { row: (values) => rows.push(values), end: (reason) => (ended = reason) });
    expect(engine.pushQueries).toBe(1);
    data.publish('CLICKS', { key: null, rowtime: 1, columns: { USER_ID: 'nobody', PAGES: ['/'] } });
    data.publish('CLICKS', { key: null, rowtime: 2, columns: { USER_ID: 'u1', PAGES: ['/a'] } });
    data.publish('CLICKS', { key: null, rowtime: 3, columns: { USER_ID: 'u2', PAGES: [] } });
    data.publish('CLICKS', { key: null, rowtime: 4, columns: { USER_ID: 'u3', PAGES: ['/c'] } });
    await expect.poll(() => ended).toBe('limit');
    expect(rows).toEqual([
      ['u1', 'Ann', '/a'],
      ['u2', "O'Brien", null],
    ]);
    expect(engine.pushQueries).toBe(0);
  });

  it('keeps unmatched rows in a LEFT JOIN, and reads from the earliest when asked', async () => {
    data.publish('CLICKS', { key: null, rowtime: 1, columns: { USER_ID: 'nobody', PAGES: [] } });
    const rows: unknown[][] = [];
    const stop = await engine.push(
      plan('SELECT USER_ID, NAME FROM CLICKS LEFT JOIN USERS ON USER_ID = USERS.ROWKEY EMIT CHANGES'),
      'earliest',
      { row: (values) => rows.push(values), end: () => {} },
    );
    await expect.poll(() => rows).toEqual([['nobody', null]]);
    stop();
    expect(engine.pushQueries).toBe(0);
  });

  it('refuses push queries past the limit per instance', async () => {
    const limited = new SqlEngine({ catalog: testCatalog(), data, limits: { maxPushQueries: 1 } });
    const p = limited.plan(limited.parse('SELECT * FROM CLICKS EMIT CHANGES')[0] as SelectStatement);
    const sink = { row: () => {}, end: () => {} };
    const stop = await limited.push(p, 'latest', sink);
    await expect(limited.push(p, 'latest', sink)).rejects.toMatchObject({ code: 'SQL_LIMIT_EXCEEDED' });
    stop();
    (await limited.push(p, 'latest', sink))();
  });

  it('inserts literal values, with or without a column list, checked against the types', async () => {
    for (const sql of [
      "INSERT INTO ALERTS (ROWKEY, REASON) VALUES ('RNM0', 'home network');",
      "INSERT INTO alerts VALUES ('x', 'y');",
    ]) {
      await engine.insert(engine.parse(sql)[0] as never);
    }
    expect(data.inserts.map((i) => [i.row.key, i.row.columns])).toEqual([
      ['RNM0', { REASON: 'home network' }],
      ['x', { REASON: 'y' }],
    ]);
    await expect(
      engine.insert(engine.parse("INSERT INTO ALERTS VALUES ('x', 3)")[0] as never),
    ).rejects.toMatchObject({
      code: 'SQL_TYPE_ERROR',
    });
    await expect(
      engine.insert(engine.parse("INSERT INTO USERS (ROWKEY) VALUES ('x')")[0] as never),
    ).rejects.toMatchObject({
      code: 'SQL_UNSUPPORTED',
    });
  });
});
