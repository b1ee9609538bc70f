import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where downloaded jars and compiled launcher classes are kept between runs, outside the repository:
 * `PROBESTREAM_CACHE_DIR`, else `$XDG_CACHE_HOME/probestream`, else `~/.cache/probestream`.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PROBESTREAM_CACHE_DIR) return resolve(env.PROBESTREAM_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? resolve(env.XDG_CACHE_HOME) : join(homedir(), '.cache');
  return join(base, 'probestream');
}

/** The package's `services/java` folder; the same two levels up from `src/local` and `dist/local`. */
export function javaSourcesDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'services', 'java');
}
