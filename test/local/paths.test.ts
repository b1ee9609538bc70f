import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cacheDir, javaSourcesDir } from '../../src/local/paths.js';

describe('cacheDir', () => {
  it('uses PROBESTREAM_CACHE_DIR first', () => {
    expect(cacheDir({ PROBESTREAM_CACHE_DIR: 'rel/cache', XDG_CACHE_HOME: '/xdg' })).toBe(
      resolve('rel/cache'),
    );
  });

  it('falls back to XDG_CACHE_HOME/probestream, then ~/.cache/probestream', () => {
    expect(cacheDir({ XDG_CACHE_HOME: '/xdg' })).toBe('/xdg/probestream');
    expect(cacheDir({})).toBe(join(homedir(), '.cache', 'probestream'));
  });
});

describe('javaSourcesDir', () => {
  it('finds the launcher and Mongo-wire server sources shipped with the package', () => {
    expect(existsSync(join(javaSourcesDir(), 'ParentWatchLauncher.java'))).toBe(true);
    expect(existsSync(join(javaSourcesDir(), 'MongoWireServer.java'))).toBe(true);
  });
});
