/**
 * Text for Telegram's HTML parse mode. Every string that comes from the air or from another system goes
 * through `show` (or `escapeHtml` at least): SSIDs are chosen by whoever broadcasts them.
 */

/** Telegram's limit on a message's text, in UTF-16 code units. */
export const MAX_MESSAGE_LENGTH = 4096;

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
};

/** Escapes `&`, `<` and `>` (and `"`, so that the result is also safe inside an attribute). */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * Control characters (a newline in an SSID could fake a line of the reply), line and paragraph separators
 * and bidirectional overrides (which could reorder what follows), shown as `\xNN` or `\u{NNNN}`.
 */
const INVISIBLE = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

export function visible(text: string): string {
  return text.replace(INVISIBLE, (char) => {
    const code = char.codePointAt(0) ?? 0;
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}

/** At most `max` code points of `text`, ending with `…` when cut. */
export function truncate(text: string, max: number): string {
  const points = Array.from(text);
  return points.length <= max ? text : `${points.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** An untrusted string ready for an HTML message: invisible characters shown, cut to `max`, escaped. */
export function show(text: string, max = 256): string {
  return escapeHtml(truncate(visible(text), max));
}

/**
 * Joins `head`, as many `items` as fit and, if some did not, a line `… and N more`, so that the message
 * stays within `limit` code units. Each item is one line, already HTML.
 */
export function fitLines(
  head: readonly string[],
  items: readonly string[],
  limit = MAX_MESSAGE_LENGTH,
): string {
  let text = head.join('\n');
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as string;
    const rest = items.length - i - 1;
    // Room for this item, and for the "more" line should a later item not fit.
    const tail = rest === 0 ? 0 : `\n… and ${rest} more`.length;
    if (text.length + 1 + item.length + tail > limit) {
      return `${text}\n… and ${items.length - i} more`;
    }
    text = `${text}\n${item}`;
  }
  return text;
}

const ENTITIES: Readonly<Record<string, string>> = { '&lt;': '<', '&gt;': '>', '&quot;': '"', '&amp;': '&' };

/**
 * A reply in Telegram HTML as plain text for a terminal: tags dropped, entities decoded. Safe to print: the
 * replies show every dynamic string through `show`, which makes control characters visible.
 */
export function htmlToText(html: string): string {
  return html
    .replace(/<\/?[a-z]+>/g, '')
    .replace(/&(lt|gt|quot|amp);/g, (entity) => ENTITIES[entity] ?? entity);
}
