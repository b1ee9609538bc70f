/** Whether `value` may go into a response header as it is: visible ASCII, no CR/LF, not absurdly long. */
export function isHeaderSafe(value: string): boolean {
  return /^[\x21-\x7e]{1,255}$/.test(value);
}
