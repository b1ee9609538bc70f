// The instance's ksqlDB endpoints, as a ksqlDB client calls them: SELECT on /query (a pull query's JSON
// array, or a push query's chunked body read line by line as rows come), everything else on /ksql.

import { apiToken } from './api.js';

/** A statement the server refused: ksqlDB's message, and where in the statement when it says so. */
export class SqlFailure extends Error {
  constructor(status, message, position) {
    super(message);
    this.status = status;
    this.position = position;
  }
}

/** `line 1:35: …` at the start of ksqlDB's parse messages: 1-based line, 0-based column. */
export function errorPosition(message) {
  const match = /^line (\d+):(\d+)\b/.exec(message);
  return match ? { line: Number(match[1]), column: Number(match[2]) } : undefined;
}

/** The column names and types of a header's schema: "`A` BIGINT, `B` ARRAY<STRING>". */
export function schemaColumns(schema) {
  const columns = [];
  let depth = 0;
  let quoted = false;
  let start = 0;
  const take = (end) => {
    const part = schema.slice(start, end).trim();
    const match = /^`((?:[^`]|``)*)`\s*(.*)$/s.exec(part);
    if (match) columns.push({ name: match[1].replaceAll('``', '`'), type: match[2] });
    else if (part) columns.push({ name: part, type: '' });
    start = end + 1;
  };
  for (let i = 0; i < schema.length; i++) {
    const c = schema[i];
    if (c === '`') quoted = !quoted;
    else if (quoted) continue;
    else if (c === '<' || c === '(') depth++;
    else if (c === '>' || c === ')') depth--;
    else if (c === ',' && depth === 0) take(i);
  }
  take(schema.length);
  return columns;
}

/** Whether the statement is a query (for /query): its first word, past comments, is SELECT. */
export function isQuery(text) {
  const code = text.replace(/^(\s|--[^\n]*(\n|$)|\/\*[\s\S]*?\*\/)*/, '');
  return /^select\b/i.test(code);
}

async function failureOf(response) {
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    message = body.message ?? body.error?.message ?? message;
  } catch {
    // Not ksqlDB's JSON: the status says enough.
  }
  return new SqlFailure(response.status, message, errorPosition(message));
}

/** One line of a push query's body, `[{…},` or `{…},` or `{…}]`, as its object. */
function lineObject(line) {
  let text = line.trim();
  if (text.startsWith('[')) text = text.slice(1);
  if (text.endsWith(',') || text.endsWith(']')) text = text.slice(0, -1);
  return text ? JSON.parse(text) : undefined;
}

/**
 * Runs `text`. For a query, `on` is told `header(columns)`, then `row(values)` for each row as it arrives,
 * then `end(reason)` ('done', 'limit'); for anything else `entities(list)`. Throws SqlFailure when
 * refused, an AbortError when `signal` stops it.
 */
export async function runSql(text, on, signal) {
  const query = isQuery(text);
  const headers = { 'content-type': 'application/vnd.ksql.v1+json', accept: 'application/vnd.ksql.v1+json' };
  const token = apiToken();
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(query ? '/query' : '/ksql', {
    method: 'POST',
    headers,
    body: JSON.stringify({ ksql: text, streamsProperties: {} }),
    signal,
  });
  if (!response.ok) throw await failureOf(response);
  if (!query) return on.entities(await response.json());

  let limited = false;
  const handle = (item) => {
    if (item === undefined) return;
    if (item.header) on.header(schemaColumns(item.header.schema ?? ''));
    else if (item.row) on.row(item.row.columns ?? []);
    else if (item.finalMessage) limited = true;
    else if (item.errorMessage) throw new SqlFailure(response.status, item.errorMessage.message);
  };
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  let streamed = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered += value;
    const lines = buffered.split('\n');
    buffered = lines.pop();
    for (const line of lines) {
      streamed = true;
      handle(lineObject(line));
    }
  }
  // A pull query's answer is one JSON array on one line.
  if (!streamed && buffered.trim()) for (const item of JSON.parse(buffered)) handle(item);
  else handle(lineObject(buffered));
  on.end(limited ? 'limit' : 'done');
}
