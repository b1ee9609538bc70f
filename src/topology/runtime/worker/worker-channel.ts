import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { StreamsError } from '../../errors.js';
import { deserializeError, type Request, type WorkerData, type WorkerMessage } from './protocol.js';

type Pending = { resolve(value: unknown): void; reject(error: Error): void };
type ReplyMessage = Extract<WorkerMessage, { type: 'reply' }>;

export interface WorkerChannelEvents {
  /** Every message but replies, which the channel matches to their requests. */
  onMessage(message: Exclude<WorkerMessage, ReplyMessage>): void;
  onError(error: Error): void;
  onExit(code: number): void;
}

/**
 * The engine's worker thread as WorkerStreams talks to it: started with its data, asked requests that each
 * get one reply (matched by id, optionally given up after a timeout), and stopped.
 */
export class WorkerChannel {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;

  /** Starts the thread; throws WORKER_FAILED when it cannot (data that does not survive cloning). */
  constructor(data: WorkerData, events: WorkerChannelEvents) {
    try {
      this.#worker = startWorker(data);
    } catch (error) {
      throw new StreamsError(
        'WORKER_FAILED',
        `the engine's worker thread cannot start: ${(error as Error).message} (the config and the topology's arguments must be plain data: no functions)`,
        { cause: error },
      );
    }
    this.#worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'reply') this.#settle(message);
      else events.onMessage(message);
    });
    this.#worker.on('error', (error) => events.onError(error));
    this.#worker.on('exit', (code) => events.onExit(code));
  }

  #settle(message: ReplyMessage): void {
    const pending = this.#pending.get(message.id);
    this.#pending.delete(message.id);
    if (message.error) pending?.reject(deserializeError(message.error));
    else pending?.resolve(message.value);
  }

  /**
   * Asks the worker. With `timeoutMs`, gives up after it (the worker busy for that long) with
   * INVALID_STATE_STORE, as for an instance that cannot be read now.
   */
  request<T>(request: Request, timeoutMs?: number): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = () => {
        clearTimeout(timer);
        this.#pending.delete(id);
      };
      try {
        this.#worker.postMessage({ ...request, id });
      } catch (error) {
        reject(error);
        return;
      }
      this.#pending.set(id, {
        resolve: (value) => {
          settle();
          resolve(value as T);
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          settle();
          reject(
            new StreamsError(
              'INVALID_STATE_STORE',
              `the engine's worker thread did not answer within ${timeoutMs} ms (busy or stuck)`,
            ),
          );
        }, timeoutMs);
      }
    });
  }

  /** Fails every request still waiting for its reply (the thread has ended). */
  rejectAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }

  /** Asks the engine to close (commit and leave its group); resolves when it has, or after `timeoutMs`. */
  async closeEngine(timeoutMs: number): Promise<void> {
    const id = this.#nextId++;
    let timer: NodeJS.Timeout | undefined;
    const closed = new Promise<void>((resolve) => {
      this.#pending.set(id, { resolve: () => resolve(), reject: () => resolve() });
      timer = setTimeout(resolve, timeoutMs);
    });
    this.#worker.postMessage({ type: 'close', id } satisfies Request);
    await closed;
    clearTimeout(timer);
    this.#pending.delete(id);
  }

  /** Stops the thread. */
  async terminate(): Promise<void> {
    await this.#worker.terminate();
  }

  /** Lets this process end while the thread still runs (the engine stopped by itself). */
  unref(): void {
    this.#worker.unref();
  }
}

/** A worker thread's error as the engine reports it: a topology or config it refused keeps its code. */
export function workerFailure(error: Error): Error {
  const code = (error as { code?: string }).code;
  return code === 'TOPOLOGY_MISMATCH' || code === 'INVALID_CONFIG'
    ? deserializeError({ name: error.name, message: error.message, code })
    : new StreamsError('WORKER_FAILED', `the engine's worker thread failed: ${error.message}`, {
        cause: error,
      });
}

const here = import.meta.url;

/**
 * The worker runs streams-worker.js beside this file. From TypeScript sources (tests, benchmarks under
 * tsx or vitest) it runs the .ts file, with tsx's loader registered in the worker first.
 */
interface TsxManifest {
  readonly exports: { readonly './esm/api': { readonly import: { readonly default: string } } };
}

function startWorker(data: WorkerData): Worker {
  if (!here.endsWith('.ts')) return new Worker(new URL('./streams-worker.js', here), { workerData: data });
  // tsx's ES-module API (its CommonJS one registers a loader that cannot find its own files).
  const manifest = createRequire(here).resolve('tsx/package.json');
  const exported = (JSON.parse(readFileSync(manifest, 'utf8')) as TsxManifest).exports['./esm/api'].import
    .default;
  const tsx = new URL(exported, pathToFileURL(manifest)).href;
  const entry = new URL('./streams-worker.ts', here).href;
  const bootstrap = `
    const { workerData } = require('node:worker_threads');
    import(workerData.tsx)
      .then(({ register }) => { register(); return import(workerData.entry); })
      .catch((error) => setImmediate(() => { throw error; }));
  `;
  return new Worker(bootstrap, { eval: true, workerData: { ...data, tsx, entry } });
}
