/** A line on stderr, as the engine writes its own: `[probestream] …`. PROBESTREAM_LOG=silent mutes both. */
export function log(line: string): void {
  if (process.env.PROBESTREAM_LOG !== 'silent') process.stderr.write(`[probestream] ${line}\n`);
}
