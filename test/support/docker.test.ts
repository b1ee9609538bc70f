import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerEngineAnswers } from './docker.js';

describe('dockerEngineAnswers', () => {
  let server: Server | undefined;
  let dir: string | undefined;

  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    if (dir) await rm(dir, { recursive: true, force: true });
    server = undefined;
    dir = undefined;
  });

  it('is false when nothing listens on the socket', async () => {
    expect(await dockerEngineAnswers(500, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' })).toBe(false);
  });

  it('is false for a DOCKER_HOST scheme it cannot probe', async () => {
    expect(await dockerEngineAnswers(500, { DOCKER_HOST: 'ssh://user@host' })).toBe(false);
  });

  it('is true when an engine answers /_ping with 200, and false when it answers 500', async () => {
    dir = await mkdtemp(join(tmpdir(), 'probestream-docker-'));
    const socketPath = join(dir, 'docker.sock');
    let status = 200;
    server = createServer((req, res) => {
      res.statusCode = req.url === '/_ping' ? status : 404;
      res.end('OK');
    });
    await new Promise<void>((resolve) => server?.listen(socketPath, resolve));
    expect(await dockerEngineAnswers(500, { DOCKER_HOST: `unix://${socketPath}` })).toBe(true);
    status = 500;
    expect(await dockerEngineAnswers(500, { DOCKER_HOST: `unix://${socketPath}` })).toBe(false);
  });
});
