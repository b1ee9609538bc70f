/**
 * Results drawn as the ksql CLI draws them: `+---+` rules, `|`-separated cells padded to the column's width.
 * Every cell is made safe for a terminal first: control and format characters (an SSID may hold escape
 * sequences) are written out as `\u{…}`.
 */

/** A value as a cell: NULL and arrays as ksql shows them, text with control characters written out. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map(cellText).join(', ')}]`;
  if (typeof value === 'object') return safeText(JSON.stringify(value));
  return safeText(String(value));
}

export function safeText(text: string): string {
  return text.replace(/[\p{Cc}\p{Cf}]/gu, (char) => `\\u{${(char.codePointAt(0) as number).toString(16)}}`);
}

/** The column names of a header's schema: `` `A` STRING, `B` ARRAY<STRING> `` → A, B. */
export function schemaColumns(schema: string): string[] {
  return [...schema.matchAll(/`([^`]*)`/g)].map((match) => safeText(match[1] as string));
}

const width = (text: string) => [...text].length;
const pad = (text: string, size: number) => text + ' '.repeat(Math.max(0, size - width(text)));

/** Draws the rule, header and rows of a table whose widths are fixed by `widths`. */
export class TableWriter {
  readonly #widths: readonly number[];

  constructor(widths: readonly number[]) {
    this.#widths = widths;
  }

  /** Widths that fit the names and every row (a pull query's answer is known whole). */
  static fitting(names: readonly string[], rows: readonly (readonly string[])[]): TableWriter {
    return new TableWriter(
      names.map((name, i) => Math.max(width(name), ...rows.map((row) => width(row[i] ?? ''))) + 1),
    );
  }

  rule(): string {
    return `+${this.#widths.map((w) => '-'.repeat(w)).join('+')}+\n`;
  }

  line(cells: readonly string[]): string {
    return `|${this.#widths.map((w, i) => pad(cells[i] ?? '', w)).join('|')}|\n`;
  }

  head(names: readonly string[]): string {
    return this.rule() + this.line(names) + this.rule();
  }
}

/** A whole table: head, rows, closing rule. */
export function drawTable(names: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = rows.map((row) => row.map(cellText));
  const writer = TableWriter.fitting(names, cells);
  return writer.head(names) + cells.map((row) => writer.line(row)).join('') + writer.rule();
}
