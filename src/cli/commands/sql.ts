import { homedir } from 'node:os';
import { join } from 'node:path';
import { defineCommand } from '../command.js';
import { runStatement } from '../sql/run-statement.js';
import { runShell } from '../sql/shell.js';

export const sqlCommand = defineCommand({
  name: 'sql',
  summary: 'A ksqlDB-style SQL shell on the API: pull and push queries, SHOW, DESCRIBE, INSERT.',
  description: `
Runs ksqlDB statements on the instance at --api (any instance answers for all): SELECT … FROM a table
(a pull query) or … EMIT CHANGES (a push query, printing rows as they come until its LIMIT or Ctrl-C),
SHOW TABLES, SHOW STREAMS, DESCRIBE <name>, LIST QUERIES and INSERT INTO SSID_ALERT_LIST (with API_TOKEN).
Without --execute, an interactive shell: statements end with ';', Ctrl-C ends a push query, exit quits;
the history is kept in ~/.probestream_sql_history. With --execute, runs that statement and exits: 0 when
it succeeded, 1 when the API refused it (the reason is printed, with the position of a parse error).`,
  settings: ['apiUrl', 'apiToken', 'sqlExecute', 'sqlOffsetReset'],
  async run({ settings, signal, stdout, stderr }) {
    const context = {
      api: settings.apiUrl,
      token: settings.apiToken,
      properties: { 'ksql.streams.auto.offset.reset': settings.sqlOffsetReset },
      out: stdout,
      err: stderr,
    };
    try {
      if (settings.sqlExecute !== undefined)
        return (await runStatement(settings.sqlExecute, context, signal)) ? 0 : 1;
      return await runShell({
        ...context,
        input: process.stdin,
        historyFile: process.env.HOME === undefined ? undefined : join(homedir(), '.probestream_sql_history'),
        signal,
      });
    } catch (error) {
      if (signal.aborted) return 0;
      stderr.write(
        `cannot reach the API at ${settings.apiUrl}: ${(error as Error).message}\n` +
          'Is `probestream start` running there? Give its address with --api or PROBESTREAM_API_URL.\n',
      );
      return 1;
    }
  },
});
