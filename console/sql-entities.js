// What /ksql answers (SHOW, LIST, DESCRIBE), drawn as tables: every value goes in as text.

import { h, table } from './dom.js';

/** A value as SQL shows it: null spelt out, arrays and maps as JSON, the rest as its text. */
export function valueCell(value) {
  if (value === null || value === undefined) return h('td', { class: 'muted' }, 'null');
  if (typeof value === 'number') return h('td', { class: 'num' }, String(value));
  if (typeof value === 'object') return h('td', { class: 'mono' }, JSON.stringify(value));
  return h('td', {}, String(value));
}

function rows(items, fields) {
  return h(
    'tbody',
    {},
    items.map((item) =>
      h(
        'tr',
        {},
        fields.map((field) => valueCell(item[field])),
      ),
    ),
  );
}

/** ksqlDB's schema of a field: `ARRAY<VARCHAR>`, `BIGINT`… */
function typeText(schema) {
  if (!schema) return '';
  return schema.memberSchema ? `${schema.type}<${typeText(schema.memberSchema)}>` : schema.type;
}

function sources(list, kind) {
  return [
    h('h3', {}, kind === 'tables' ? 'Tables' : 'Streams'),
    table(
      null,
      ['Name', 'Kafka topic', 'Key format', 'Value format'],
      rows(list, ['name', 'topic', 'keyFormat', 'valueFormat']),
    ),
  ];
}

function description(source) {
  const fields = source.fields.map((f) => ({ name: f.name, type: typeText(f.schema), key: f.type ?? '' }));
  return [
    h(
      'h3',
      {},
      `${source.type === 'TABLE' ? 'Table' : 'Stream'} `,
      h('span', { class: 'mono' }, source.name),
    ),
    h(
      'p',
      { class: 'muted' },
      `Topic ${source.topic}; key ${source.keyFormat}, value ${source.valueFormat}.`,
    ),
    table(null, ['Field', 'Type', ''], rows(fields, ['name', 'type', 'key'])),
  ];
}

function queries(list) {
  return [
    h('h3', {}, 'Queries'),
    table(null, ['Id', 'What it runs', 'State'], rows(list, ['id', 'queryString', 'state'])),
  ];
}

/** One entity of /ksql's answer; a kind this console does not know is shown as its JSON. */
export function entityView(entity) {
  switch (entity['@type']) {
    case 'tables':
      return sources(entity.tables, 'tables');
    case 'streams':
      return sources(entity.streams, 'streams');
    case 'sourceDescription':
      return description(entity.sourceDescription);
    case 'queries':
      return queries(entity.queries);
    default:
      return [h('pre', { class: 'mono' }, JSON.stringify(entity, null, 2))];
  }
}
