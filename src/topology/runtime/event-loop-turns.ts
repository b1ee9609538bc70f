/**
 * Turns of the event loop for the engine's synchronous work, handed out one per turn.
 *
 * The engine shares its process with the interactive-query API, so long synchronous runs (processing a
 * fetched batch, encoding a commit's records) are cut into slices that each wait for a turn. With
 * setImmediate alone, every slice waiting at once (a batch being processed and a commit being sent) runs
 * in the same check phase, and a query that arrived meanwhile waits for all of them. Here the waiting
 * slices form one queue, and one slice runs per turn: queries are read between any two slices.
 */
const waiting: (() => void)[] = [];
let scheduled = false;

/** Resolves in a later turn of the event loop, after any slice that asked before. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!scheduled) {
      scheduled = true;
      setImmediate(release);
    }
  });
}

function release(): void {
  const resolve = waiting.shift();
  // An immediate queued while immediates run waits for the next turn, after the poll for I/O.
  if (waiting.length > 0) setImmediate(release);
  else scheduled = false;
  resolve?.();
}
