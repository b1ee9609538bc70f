import { createServer } from 'node:net';
import { UsageError } from './command.js';

/**
 * Fails at once, naming --port, when the API's port is taken on `host`: before a broker, a topology or a
 * restore has started, rather than after them with a bare EADDRINUSE. Port 0 (any free port) always passes.
 */
export async function ensurePortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new UsageError(
              `port ${port} is already in use on ${host}: choose another with --port (or API_PORT)`,
              1,
            )
          : error.code === 'EACCES'
            ? new UsageError(
                `port ${port} on ${host} needs privileges: choose another with --port (or API_PORT)`,
                1,
              )
            : error,
      ),
    );
    server.listen(port, host, () => server.close(() => resolve()));
  });
}
