import { request } from 'node:http';

/**
 * True when a Docker engine answers `GET /_ping` within `timeoutMs`, on DOCKER_HOST (unix:// or tcp://)
 * or the default socket. A Docker client with no engine behind it answers false, quickly.
 */
export function dockerEngineAnswers(
  timeoutMs = 1500,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  const dockerHost = env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  let target: { socketPath: string } | { host: string; port: number };
  if (dockerHost.startsWith('unix://')) {
    target = { socketPath: dockerHost.slice('unix://'.length) };
  } else if (dockerHost.startsWith('tcp://')) {
    const url = new URL(dockerHost.replace('tcp://', 'http://'));
    target = { host: url.hostname, port: Number(url.port || 2375) };
  } else {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    const req = request({ ...target, path: '/_ping', timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}
