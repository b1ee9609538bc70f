import { describe, expect, it } from 'vitest';
// The console's own module, plain JavaScript run by the browser; its parsing needs no DOM.
// @ts-expect-error: the console's scripts have no type declarations (tsconfig.console.json checks them).
import { errorPosition, isQuery, schemaColumns } from '../../console/sql-client.js';

describe("the console's SQL client", () => {
  it("names a header's columns, nested types and quoted names included", () => {
    expect(
      schemaColumns('`ROWKEY` STRING KEY, `SSIDS` ARRAY<STRING>, `M` MAP<STRING, INT>, `a ``b`` c` BIGINT'),
    ).toEqual([
      { name: 'ROWKEY', type: 'STRING KEY' },
      { name: 'SSIDS', type: 'ARRAY<STRING>' },
      { name: 'M', type: 'MAP<STRING, INT>' },
      { name: 'a `b` c', type: 'BIGINT' },
    ]);
    expect(schemaColumns('`A, B` DECIMAL(10, 2)')).toEqual([{ name: 'A, B', type: 'DECIMAL(10, 2)' }]);
  });

  it("reads the line and column ksqlDB's parse errors start with, and nothing else", () => {
    expect(errorPosition("line 2:15: mismatched input '='")).toEqual({ line: 2, column: 15 });
    expect(errorPosition("Could not find STREAM/TABLE 'X' in the Metastore")).toBeUndefined();
  });

  it('sends a SELECT to /query, past comments and blank lines, and the rest to /ksql', () => {
    expect(isQuery('  -- the stats\n/* by key */ select * FROM T;')).toBe(true);
    expect(isQuery('SHOW TABLES;')).toBe(false);
    expect(isQuery("INSERT INTO SSID_ALERT_LIST VALUES ('select', 'x');")).toBe(false);
  });
});
