import { describe, expect, it } from 'vitest';
import { cellText, drawTable, schemaColumns } from '../../src/cli/sql/result-table.js';
import { isQuery, renderError } from '../../src/cli/sql/run-statement.js';
import { isComplete } from '../../src/cli/sql/shell.js';

describe('probestream sql', () => {
  it('ends a statement at a semicolon outside quotes and comments', () => {
    expect(isComplete('SELECT 1;')).toBe(true);
    expect(isComplete("SELECT ';'")).toBe(false);
    expect(isComplete("SELECT 'it''s';  \n")).toBe(true);
    expect(isComplete('SELECT 1 -- done;')).toBe(false);
    expect(isComplete('SELECT `a;b`')).toBe(false);
  });

  it('tells queries from /ksql statements', () => {
    expect(isQuery('  select * from X;')).toBe(true);
    expect(isQuery('-- hi\nSELECT 1;')).toBe(true);
    expect(isQuery('SHOW TABLES;')).toBe(false);
  });

  it('draws cells safe for a terminal: escape sequences from the air are written out', () => {
    expect(cellText(['a', null, 'b\u001b[2J'])).toBe('[a, null, b\\u{1b}[2J]');
    expect(schemaColumns('`A` STRING, `B\u0007` ARRAY<STRING>')).toEqual(['A', 'B\\u{7}']);
    expect(drawTable(['K', 'V'], [['x', 10]])).toBe('+--+---+\n|K |V  |\n+--+---+\n|x |10 |\n+--+---+\n');
  });

  it('points at the position a parse error names', () => {
    expect(renderError('SELECT\nFROM X WHERE', "line 2:8: expected an expression but found 'WHERE'")).toBe(
      "FROM X WHERE\n       ^\nline 2:8: expected an expression but found 'WHERE'\n",
    );
  });
});
