import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The layer table of docs/architecture.md ("Layers"): who may import whom under src/.
const MAY_IMPORT: Record<string, readonly string[]> = {
  errors: [],
  logging: [],
  serdes: ['errors'],
  stores: ['errors', 'serdes'],
  topology: ['errors', 'logging', 'serdes', 'stores'],
  local: ['errors', 'logging'],
  probes: ['errors', 'logging', 'serdes', 'stores', 'topology'],
  capture: ['errors', 'logging', 'serdes', 'probes', 'topology'],
  query: ['errors', 'logging', 'serdes', 'topology'],
  api: ['errors', 'logging', 'serdes', 'probes', 'topology', 'query'],
  bot: ['errors', 'logging', 'probes'],
  app: [
    'errors',
    'logging',
    'serdes',
    'stores',
    'topology',
    'probes',
    'capture',
    'query',
    'api',
    'bot',
    'local',
  ],
  cli: [
    'errors',
    'logging',
    'serdes',
    'stores',
    'topology',
    'probes',
    'capture',
    'query',
    'api',
    'bot',
    'local',
    'app',
  ],
};

/** Packages that only the application's outer layers may use: the engine is a library. */
const APPLICATION_PACKAGES = ['fastify', 'grammy', 'mongodb'];
const ENGINE_LAYERS = ['errors', 'logging', 'serdes', 'stores', 'topology'];

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, statically or with `import()`. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const pattern = /(?:\bfrom\s*|\bimport\s*\(?\s*)'([^']+)'/g;
  for (const match of source.matchAll(pattern)) found.push(match[1] as string);
  return found;
}

function layerOf(path: string): string {
  return relative(SRC, path).split(/[\\/]/)[0] as string;
}

describe('the layer rules of docs/architecture.md', () => {
  const files = sourceFiles(SRC);

  it('has a rule for every folder under src/', () => {
    const layers = new Set(files.map(layerOf).filter((layer) => !layer.endsWith('.ts')));
    expect([...layers].sort()).toEqual(Object.keys(MAY_IMPORT).sort());
  });

  it('finds the imports it checks', () => {
    // A pattern that matched nothing would pass every rule below.
    const count = files.reduce((sum, file) => sum + specifiers(readFileSync(file, 'utf8')).length, 0);
    expect(count).toBeGreaterThan(500);
  });

  it('no layer imports one it may not', () => {
    const broken: string[] = [];
    for (const file of files) {
      const layer = layerOf(file);
      for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
        if (!specifier.startsWith('.')) continue;
        const target = normalize(join(dirname(file), specifier));
        const targetLayer = layerOf(target);
        if (targetLayer === layer || targetLayer.startsWith('..')) continue;
        if (!(MAY_IMPORT[layer] ?? []).includes(targetLayer))
          broken.push(`${relative(SRC, file)} imports ${specifier} (${layer} -> ${targetLayer})`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('the engine uses no HTTP, Telegram or MongoDB package', () => {
    const broken: string[] = [];
    for (const file of files.filter((f) => ENGINE_LAYERS.includes(layerOf(f)))) {
      for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
        if (APPLICATION_PACKAGES.some((name) => specifier === name || specifier.startsWith(`${name}/`)))
          broken.push(`${relative(SRC, file)} imports ${specifier}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
