/**
 * Reading the settings of `probestream` (declared in setting-specs.ts): flag, then environment, then
 * default, each validated once.
 */
import { SETTINGS, type SettingKind, type SettingSpec } from './setting-specs.js';

export { SETTINGS, type SettingKind, type SettingSpec };

export type SettingName = keyof typeof SETTINGS;

type ValueOf<S extends SettingSpec> = S['kind'] extends 'integer' | 'duration'
  ? number
  : S['kind'] extends 'boolean'
    ? boolean
    : S['kind'] extends 'list'
      ? readonly string[]
      : string;

export type Settings<N extends SettingName> = {
  readonly [K in N]: (typeof SETTINGS)[K] extends { default: string }
    ? ValueOf<(typeof SETTINGS)[K]>
    : ValueOf<(typeof SETTINGS)[K]> | undefined;
};

/** A setting's value was refused: the message names the flag or variable it came from. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}

function isTimeZone(text: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: text });
    return true;
  } catch {
    return false;
  }
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A whole number with a unit (ms, s, m, h, d), or 0; as milliseconds. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)\s*(ms|s|m|h|d)?$/.exec(text.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  if (match[2] === undefined) return amount === 0 ? 0 : undefined;
  const ms = amount * (UNIT_MS[match[2]] as number);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

function parseValue(name: string, spec: SettingSpec, text: string, from: string): unknown {
  const fail = (why: string) => new SettingsError(`${from}: ${why} (${spec.doc})`);
  switch (spec.kind) {
    case 'integer': {
      if (!/^-?\d+$/.test(text.trim())) throw fail(`${JSON.stringify(text)} is not a whole number`);
      const n = Number(text);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw fail(`${n} is outside ${spec.min ?? '-∞'} to ${spec.max ?? '∞'}`);
      }
      return n;
    }
    case 'duration': {
      const ms = parseDuration(text);
      if (ms === undefined)
        throw fail(`${JSON.stringify(text)} is not a duration (0, 500ms, 90s, 15m, 1h, 1d)`);
      if ((spec.min !== undefined && ms < spec.min) || (spec.max !== undefined && ms > spec.max))
        throw fail(`${text} is outside ${spec.min ?? 0} to ${spec.max ?? '∞'} ms`);
      return ms;
    }
    case 'boolean': {
      const lower = text.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(lower)) return true;
      if (['false', '0', 'no', 'off', ''].includes(lower)) return false;
      throw fail(`${JSON.stringify(text)} is not true or false`);
    }
    case 'list': {
      const items = text
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      if (items.length === 0) throw fail('the list is empty');
      return Object.freeze(items);
    }
    case 'url': {
      try {
        new URL(text);
      } catch {
        throw fail(`${name === 'mongodbUrl' ? 'the value' : JSON.stringify(text)} is not a URL`);
      }
      return text;
    }
    default: {
      if (name === 'timezone' && !isTimeZone(text))
        throw fail(`${JSON.stringify(text)} is not an IANA time zone`);
      if (spec.choices && !spec.choices.includes(text)) {
        throw fail(`${JSON.stringify(text)} is not one of ${spec.choices.join(', ')}`);
      }
      return text;
    }
  }
}

/**
 * Reads the named settings: the flag when given, else the environment variable when set and not empty,
 * else the default. Throws SettingsError naming the flag or variable of a refused value.
 */
export function loadSettings<N extends SettingName>(
  names: readonly N[],
  flags: Readonly<Record<string, string | boolean | undefined>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Settings<N> {
  const result: Record<string, unknown> = {};
  for (const name of names) {
    const spec: SettingSpec = SETTINGS[name];
    const flag = spec.flag === undefined ? undefined : flags[spec.flag];
    const fromEnv = spec.env === undefined ? undefined : env[spec.env];
    if (flag !== undefined) {
      result[name] =
        typeof flag === 'boolean' ? flag : parseValue(name, spec, flag, `--${spec.flag as string}`);
    } else if (fromEnv !== undefined && fromEnv !== '') {
      result[name] = parseValue(name, spec, fromEnv, spec.env as string);
    } else if (spec.default !== undefined) {
      result[name] = parseValue(name, spec, spec.default, `the default of ${name}`);
    } else {
      result[name] = undefined;
    }
  }
  return Object.freeze(result) as Settings<N>;
}

/** The named settings given by a flag or a non-empty environment variable, rather than defaulted. */
export function explicitSettings<N extends SettingName>(
  names: readonly N[],
  flags: Readonly<Record<string, string | boolean | undefined>>,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ReadonlySet<N> {
  return new Set(
    names.filter((name) => {
      const spec: SettingSpec = SETTINGS[name];
      return (
        (spec.flag !== undefined && flags[spec.flag] !== undefined) ||
        (spec.env !== undefined && (env[spec.env] ?? '') !== '')
      );
    }),
  );
}

/** The help text's lines for the named settings: flag, env twin, default, doc. */
export function describeSettings(
  names: readonly SettingName[],
  defaults: Partial<Record<SettingName, string>> = {},
): string {
  const rows = names.map((name) => {
    const spec: SettingSpec = SETTINGS[name];
    const flag = spec.flag ? `--${spec.flag}${spec.kind === 'boolean' ? '' : ' <value>'}` : '';
    const env = spec.env ? `$${spec.env}` : '';
    const shown = defaults[name] ?? spec.default;
    const dflt = shown === undefined ? '' : ` [default: ${shown}]`;
    return { left: [flag, env].filter(Boolean).join(', '), right: `${spec.doc}${dflt}` };
  });
  const width = Math.max(0, ...rows.map((row) => row.left.length));
  return rows.map((row) => `  ${row.left.padEnd(width)}  ${row.right}`).join('\n');
}
