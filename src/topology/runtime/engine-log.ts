/** The engine's own log lines: stderr, one line each, never a secret (no config is printed). */
export function engineLog(message: string): void {
  if (process.env.PROBESTREAM_LOG !== 'silent') process.stderr.write(`[probestream] ${message}\n`);
}
