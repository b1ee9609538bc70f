/** A line on stderr, as the engine writes its own: `[probestream] …`. PROBESTREAM_LOG=silent mutes both. */
export function log(line: string): void {
  if (process.env.PROBESTREAM_LOG !== 'silent') process.stderr.write(`[probestream] ${line}\n`);
}

/** A URL fit for a log line: its user name and password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '***';
      parsed.password = '';
    }
    return parsed.toString();
  } catch {
    return '<an unreadable URL>';
  }
}
