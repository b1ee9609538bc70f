import { appendFile, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { runStatement, type StatementContext } from './run-statement.js';

export interface ShellOptions extends StatementContext {
  readonly input: NodeJS.ReadableStream;
  /** Where the history is kept between sessions; undefined keeps it for this session only. */
  readonly historyFile: string | undefined;
  /** Aborted when the shell must end (SIGTERM, or Ctrl-C when the input is not a terminal). */
  readonly signal: AbortSignal;
}

const HISTORY_SIZE = 500;

/** Whether `text` ends a statement: a `;` outside quotes and comments at its end. */
export function isComplete(text: string): boolean {
  let quote: string | undefined;
  let last = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '`') quote = c;
    else if (c === '-' && text[i + 1] === '-') {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (!/\s/.test(c)) last = c;
  }
  return quote === undefined && last === ';';
}

/**
 * The interactive shell, like the ksql CLI: a statement may span lines and ends with `;`; results are drawn
 * as tables; Ctrl-C ends a running push query (not the shell) or clears the line; `exit` or Ctrl-D quits.
 * Lines are kept in a history (arrow keys), saved to `historyFile` when given.
 */
export async function runShell(options: ShellOptions): Promise<number> {
  const history = await loadHistory(options.historyFile);
  const terminal = (options.input as { isTTY?: boolean }).isTTY === true;
  const rl = createInterface({
    input: options.input,
    output: options.out,
    terminal,
    history,
    historySize: HISTORY_SIZE,
    prompt: 'ksql> ',
  });
  let running: AbortController | undefined;
  let buffer = '';
  rl.on('SIGINT', () => {
    if (running) {
      running.abort();
      return;
    }
    buffer = '';
    options.out.write('^C  (exit or Ctrl-D to quit)\n');
    rl.setPrompt('ksql> ');
    rl.prompt();
  });
  options.signal.addEventListener('abort', () => {
    running?.abort();
    rl.close();
  });
  options.out.write(
    `probestream sql: ksqlDB statements on ${options.api}. End each with ';'. exit to quit.\n\n`,
  );
  rl.prompt();
  for await (const line of rl) {
    const trimmed = line.trim();
    if (buffer === '' && /^(exit|quit)\s*;?$/i.test(trimmed)) break;
    buffer += `${line}\n`;
    if (buffer.trim() === '' || !isComplete(buffer)) {
      rl.setPrompt(buffer.trim() === '' ? 'ksql> ' : '>     ');
      if (buffer.trim() === '') buffer = '';
      rl.prompt();
      continue;
    }
    const text = buffer.trim();
    buffer = '';
    await saveHistory(options.historyFile, text);
    running = new AbortController();
    try {
      await runStatement(text, options, running.signal);
    } catch (error) {
      options.err.write(`${(error as Error).message}\n`);
    } finally {
      running = undefined;
    }
    if (options.signal.aborted) break;
    rl.setPrompt('ksql> ');
    rl.prompt();
  }
  rl.close();
  return 0;
}

async function loadHistory(file: string | undefined): Promise<string[]> {
  if (file === undefined) return [];
  try {
    // readline wants the newest first.
    return (await readFile(file, 'utf8')).split('\n').filter(Boolean).slice(-HISTORY_SIZE).reverse();
  } catch {
    return [];
  }
}

async function saveHistory(file: string | undefined, statement: string): Promise<void> {
  if (file === undefined) return;
  await appendFile(file, `${statement.replace(/\n/g, ' ')}\n`, { mode: 0o600 }).catch(() => undefined);
}
