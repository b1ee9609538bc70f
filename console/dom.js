// Every element is built with the DOM API and every string goes in as a text node or an attribute value:
// nothing here ever parses a string as HTML (the page's Trusted Types policy would refuse it anyway), so an
// SSID like <img src=x onerror=alert(1)> is shown as those characters.

/**
 * An element: `h('a', { href: '#/x', class: 'y' }, 'text', child)`. Attributes are set with setAttribute;
 * `on<event>` keys take listeners; null, undefined and false children are skipped.
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An SVG element, as h() builds HTML ones. */
export function svg(tag, attributes = {}, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  setAttributes(element, attributes);
  append(element, children);
  return element;
}

function setAttributes(element, attributes) {
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

function append(element, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An SSID as people should read it: the two kinds of probe without a name are spelt out. */
export function ssidLabel(ssid) {
  if (ssid === null) return '(no SSID element)';
  if (ssid === '') return '(wildcard)';
  return ssid;
}

/** An SSID in a span that marks the two unnamed kinds, so they never pass for a network's name. */
export function ssidText(ssid) {
  return h('span', { class: ssid === null || ssid === '' ? 'ssid special' : 'ssid' }, ssidLabel(ssid));
}

const timeFormat = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** An ISO-8601 time or epoch ms in the browser's own time zone; the exact UTC time in its title. */
export function timeText(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return h('span', {}, '—');
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, timeFormat.format(date));
}

/** A count with the browser's digit grouping. */
export function number(value) {
  return typeof value === 'number' ? value.toLocaleString() : '—';
}

/** A table with an id, a heading row of `headings`, and `body` (a tbody). */
export function table(id, headings, body) {
  return h(
    'table',
    { id },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headings.map((t) => h('th', {}, t)),
      ),
    ),
    body,
  );
}

/** A short message box: kind is 'error' or 'info'. */
export function notice(kind, text) {
  return h('p', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}
