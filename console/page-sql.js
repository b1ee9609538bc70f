import { h, notice, table } from './dom.js';
import { runSql, SqlFailure } from './sql-client.js';
import { entityView, valueCell } from './sql-entities.js';
import { tokenForm } from './token.js';

const EXAMPLES = [
  'SHOW TABLES;',
  'DESCRIBE PCAP_STATS_01;',
  'SELECT ROWKEY, PROBE_COUNT, LAST_PROBE, SSIDS_PROBED FROM PCAP_STATS_01 LIMIT 20;',
  "SELECT TIMESTAMPTOSTRING(ROWTIME, 'yyyy-MM-dd HH:mm:ss') AS TS, WLAN_SA[1] AS MAC, WLAN_SSID[1] AS SSID\n  FROM PCAP_PROBE EMIT CHANGES;",
  'SELECT ROWKEY AS SSID, REASON FROM SSID_ALERT_LIST;',
  "INSERT INTO SSID_ALERT_LIST (ROWKEY, REASON) VALUES ('RNM0', 'home network');",
];
/** Rows a push query keeps on the page: the newest, so a long one stays light. */
const KEEP_ROWS = 1000;
const TEXT_KEY = 'probestream.sql';

/** The statement's line that an error points at, with a caret under its column. */
function pointer(text, { line, column }) {
  const shown = text.split('\n')[line - 1];
  if (shown === undefined) return null;
  return h('pre', { class: 'mono sql-pointer', id: 'sql-pointer' }, `${shown}\n${' '.repeat(column)}^`);
}

/** Where line:column is in the textarea's text, to put the cursor there. */
function offsetOf(text, { line, column }) {
  const lines = text.split('\n').slice(0, line - 1);
  return lines.reduce((sum, l) => sum + l.length + 1, 0) + column;
}

/**
 * What a query's answer does to the page: the header makes the table, each row is added (the oldest
 * dropped past KEEP_ROWS), and `finish(text)` is called with the closing status.
 */
function answerView(result, status, finish) {
  const body = h('tbody');
  let count = 0;
  const counted = () => `${count.toLocaleString()} row${count === 1 ? '' : 's'}`;
  return {
    counted,
    header(columns) {
      const headings = columns.map((c) => h('span', { title: c.type }, c.name));
      result.replaceChildren(table('sql-rows', headings, body));
      status.textContent = 'Waiting for rows…';
    },
    row(values) {
      count++;
      body.append(h('tr', {}, values.map(valueCell)));
      if (body.rows.length > KEEP_ROWS) body.rows[0].remove();
      status.textContent = `${counted()}, more as they come…`;
    },
    end(reason) {
      finish(reason === 'limit' ? `${counted()}; limit reached` : counted());
    },
    entities(list) {
      result.replaceChildren(...list.flatMap(entityView));
      finish(list.length === 0 ? 'Done.' : '');
    },
  };
}

/** A refused statement: ksqlDB's message, and for a parse error its line with a caret, the cursor put there. */
function showError(result, editor, error) {
  const at = error instanceof SqlFailure ? error.position : undefined;
  result.replaceChildren(
    h('div', { id: 'sql-error' }, notice('error', error.message), at && pointer(editor.value, at)),
  );
  if (at) {
    const offset = offsetOf(editor.value, at);
    editor.setSelectionRange(offset, offset);
  }
}

/** The examples, each a button that puts its statement in the box. */
function examplesList(editor) {
  const fill = (example) => () => {
    editor.value = example;
    editor.focus();
  };
  return h(
    'ul',
    { class: 'sql-examples' },
    EXAMPLES.map((example) =>
      h('li', {}, h('button', { type: 'button', class: 'example mono', onclick: fill(example) }, example)),
    ),
  );
}

/** The SQL box: a statement run on this instance's /query or /ksql, its answer drawn as tables. */
export function renderSql(main) {
  const editor = h('textarea', {
    id: 'sql-text',
    rows: 5,
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-label': 'SQL statement',
  });
  editor.value = sessionStorage.getItem(TEXT_KEY) ?? EXAMPLES[2];
  const run = h('button', { type: 'submit', id: 'sql-run' }, 'Run');
  const stop = h('button', { type: 'button', id: 'sql-stop', disabled: true }, 'Stop');
  const status = h('span', { id: 'sql-status', class: 'muted', role: 'status' });
  const tokenSlot = h('div');
  const result = h('div', { id: 'sql-result' });
  let running;

  const finish = (text) => {
    running = undefined;
    run.disabled = false;
    stop.disabled = true;
    status.textContent = text;
  };

  async function execute() {
    running?.abort();
    const controller = new AbortController();
    running = controller;
    sessionStorage.setItem(TEXT_KEY, editor.value);
    run.disabled = true;
    stop.disabled = false;
    status.textContent = 'Running…';
    tokenSlot.replaceChildren();
    result.replaceChildren();
    const view = answerView(result, status, finish);
    try {
      await runSql(editor.value, view, controller.signal);
    } catch (error) {
      if (running !== controller) return; // Another statement took over; its outcome is shown.
      if (error.name === 'AbortError') return finish(`Stopped after ${view.counted()}.`);
      finish('');
      // An INSERT refused for want of the token asks for it, then runs again with it.
      if (error instanceof SqlFailure && error.status === 401) tokenSlot.replaceChildren(tokenForm(execute));
      else showError(result, editor, error);
    }
  }

  const form = h(
    'form',
    {
      id: 'sql-form',
      onsubmit: (event) => {
        event.preventDefault();
        void execute();
      },
    },
    editor,
    h('div', { class: 'toolbar' }, run, stop, status),
  );
  editor.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  stop.addEventListener('click', () => running?.abort());
  main.append(
    h('h2', {}, 'SQL'),
    h(
      'p',
      { class: 'muted' },
      'ksqlDB statements on this instance: a SELECT runs on /query (with EMIT CHANGES its rows come as ',
      'they happen, until Stop or its LIMIT), anything else on /ksql. Ctrl+Enter runs.',
    ),
    form,
    tokenSlot,
    result,
    h('h3', {}, 'Examples'),
    examplesList(editor),
  );
  return () => running?.abort();
}
