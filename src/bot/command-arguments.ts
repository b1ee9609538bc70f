/** The SSID argument of `/watch` and `/unwatch`, and the text after it. */
export interface SsidArgument {
  readonly ssid: string;
  readonly rest: string;
}

/** Quotes that may open an SSID with spaces, and the quote each is closed by (phones type curly quotes). */
const CLOSING_QUOTES: Readonly<Record<string, string>> = { '"': '"', '“': '”', '„': '“', '«': '»' };

/**
 * Splits `<ssid> [rest]`: the SSID is the first word, or, when it starts with a quote, everything up to the
 * closing quote (so `"Cafe Wi-Fi" near work` gives `Cafe Wi-Fi`). Undefined when there is no SSID.
 */
export function parseSsidArgument(text: string): SsidArgument | undefined {
  const input = text.trim();
  if (input === '') return undefined;
  const open = input[0] as string;
  const close = CLOSING_QUOTES[open];
  if (close !== undefined) {
    const end = input.indexOf(close, 1);
    if (end > 1) return { ssid: input.slice(1, end), rest: input.slice(end + 1).trim() };
  }
  const match = /^(\S+)\s*([\s\S]*)$/.exec(input);
  if (match === null) return undefined;
  return { ssid: match[1] as string, rest: (match[2] as string).trim() };
}
