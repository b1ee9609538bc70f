import { type KsqlAnswer, postQuery, postStatements } from './ksql-http.js';
import { cellText, drawTable, safeText, schemaColumns, TableWriter } from './result-table.js';

export interface StatementContext {
  readonly api: string;
  readonly token: string | undefined;
  readonly properties: Readonly<Record<string, string>>;
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

/** Whether a statement is a query for /query (a SELECT) rather than one for /ksql. */
export function isQuery(text: string): boolean {
  return /^\s*(--[^\n]*\n\s*)*select\b/i.test(text);
}

/**
 * Runs the statement text on the API and prints its answer as the ksql CLI does. A push query prints rows
 * as they come until its LIMIT or until `signal` aborts (Ctrl-C). Resolves true when it succeeded.
 */
export async function runStatement(
  text: string,
  context: StatementContext,
  signal: AbortSignal,
): Promise<boolean> {
  let answer: KsqlAnswer;
  if (isQuery(text)) {
    answer = await runQuery(text, context, signal);
  } else {
    answer = await postStatements(context.api, text, context.token, signal);
    if (answer.ok) context.out.write(renderEntities(answer.body));
  }
  if (!answer.ok) context.err.write(renderError(text, answer.message));
  return answer.ok;
}

async function runQuery(text: string, context: StatementContext, signal: AbortSignal): Promise<KsqlAnswer> {
  const { out } = context;
  let names: string[] = [];
  const rows: unknown[][] = [];
  let push: TableWriter | undefined;
  let ended = false;
  const pushQuery = /\bemit\s+changes\b/i.test(text);
  const answer = await postQuery(
    context.api,
    text,
    context.properties,
    {
      header(header) {
        names = schemaColumns(header.schema);
        if (pushQuery) {
          push = new TableWriter(names.map((name) => Math.max(name.length, 19) + 1));
          out.write(push.head(names));
        }
      },
      row(columns) {
        if (push) out.write(push.line(columns.map(cellText)));
        else rows.push([...columns]);
      },
      final(message, failed) {
        ended = true;
        if (push) out.write(push.rule());
        (failed ? context.err : out).write(`${safeText(message)}\nQuery terminated\n`);
      },
    },
    signal,
  );
  if (!answer.ok) return answer;
  if (!pushQuery) out.write(`${drawTable(names, rows)}Query terminated\n`);
  else if (!ended) out.write(`${push ? push.rule() : ''}Query terminated\n`);
  return answer;
}

/** A parse error's message, and under the statement's line the position it names. */
export function renderError(text: string, message: string): string {
  const at = /^line (\d+):(\d+): /.exec(message);
  let pointer = '';
  if (at) {
    const line = text.split('\n')[Number(at[1]) - 1];
    if (line !== undefined && line.length <= 500) {
      pointer = `${safeText(line)}\n${' '.repeat(Math.max(0, Number(at[2]) - 1))}^\n`;
    }
  }
  return `${pointer}${safeText(message)}\n`;
}

type Entity = Record<string, unknown> & { '@type'?: string };
type Row = Record<string, unknown>;

/** /ksql's entities as the ksql CLI shows them. */
export function renderEntities(body: unknown): string {
  if (!Array.isArray(body)) return '';
  return (body as Entity[]).map(renderEntity).join('');
}

function renderEntity(entity: Entity): string {
  const list = (key: string) => (entity[key] as Row[] | undefined) ?? [];
  switch (entity['@type']) {
    case 'tables':
    case 'streams': {
      const kind = entity['@type'] === 'tables' ? 'Table Name' : 'Stream Name';
      const rows = list(entity['@type']).map((s) => [
        s.name,
        s.topic,
        s.keyFormat,
        s.valueFormat,
        s.isWindowed,
      ]);
      return drawTable([kind, 'Kafka Topic', 'Key Format', 'Value Format', 'Windowed'], rows);
    }
    case 'queries': {
      const rows = list('queries').map((q) => [
        q.id,
        q.queryType,
        q.state,
        (q.sinks as string[]).join(', '),
        (q.sinkKafkaTopics as string[]).join(', '),
        q.queryString,
      ]);
      return drawTable(
        ['Query ID', 'Query Type', 'Status', 'Sink Name', 'Sink Kafka Topic', 'Query String'],
        rows,
      );
    }
    case 'sourceDescription': {
      const source = entity.sourceDescription as Row;
      const rows = (source.fields as Row[]).map((f) => [
        f.name,
        `${typeText(f.schema as Row)}${f.type === 'KEY' ? '  (key)' : ''}`,
      ]);
      return (
        `\nName                 : ${cellText(source.name)}\n` +
        `Type                 : ${cellText(source.type)}\n` +
        `Kafka topic          : ${cellText(source.topic)} (key format: ${cellText(source.keyFormat)}, value format: ${cellText(source.valueFormat)})\n` +
        drawTable(['Field', 'Type'], rows)
      );
    }
    default:
      return `${safeText(JSON.stringify(entity))}\n`;
  }
}

function typeText(schema: Row): string {
  return schema.type === 'ARRAY' ? `ARRAY<${typeText(schema.memberSchema as Row)}>` : String(schema.type);
}
