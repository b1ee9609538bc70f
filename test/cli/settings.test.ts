import { describe, expect, it } from 'vitest';
import { describeSettings, loadSettings, SETTINGS, SettingsError } from '../../src/cli/settings.js';

describe('settings', () => {
  it('takes the flag over the environment over the default', () => {
    const names = ['brokers', 'applicationId', 'port'] as const;
    expect(loadSettings(names, {}, {})).toEqual({
      brokers: ['localhost:9092'],
      applicationId: 'probestream',
      port: 8080,
    });
    expect(loadSettings(names, {}, { KAFKA_BROKERS: 'a:1, b:2', API_PORT: '9000' })).toEqual({
      brokers: ['a:1', 'b:2'],
      applicationId: 'probestream',
      port: 9000,
    });
    expect(loadSettings(names, { port: '7000' }, { API_PORT: '9000' }).port).toBe(7000);
  });

  it('returns a frozen object, with unset settings undefined', () => {
    const settings = loadSettings(['mongodbUrl', 'kafkaSsl'], {}, {});
    expect(settings).toEqual({ mongodbUrl: undefined, kafkaSsl: false });
    expect(Object.isFrozen(settings)).toBe(true);
  });

  it('names the variable or flag of a refused value', () => {
    expect(() => loadSettings(['port'], {}, { API_PORT: '70000' })).toThrow(
      new SettingsError('API_PORT: 70000 is outside 0 to 65535 (HTTP port of the API (0: any free port).)'),
    );
    expect(() => loadSettings(['processingGuarantee'], { 'processing-guarantee': 'twice' }, {})).toThrow(
      /^--processing-guarantee: "twice" is not one of at_least_once, exactly_once/,
    );
    expect(() => loadSettings(['kafkaSsl'], {}, { KAFKA_SSL: 'maybe' })).toThrow(/^KAFKA_SSL: "maybe"/);
    expect(() => loadSettings(['timezone'], { timezone: 'Mars/Base' }, {})).toThrow(
      /^--timezone: "Mars\/Base" is not an IANA time zone/,
    );
    expect(loadSettings(['timezone'], { timezone: 'Asia/Tokyo' }, {}).timezone).toBe('Asia/Tokyo');
  });

  it('reads a duration with its unit, 0 alone without one', () => {
    const window = (text: string) => loadSettings(['alertWindow'], { 'alert-window': text }, {}).alertWindow;
    expect(loadSettings(['alertWindow'], {}, {}).alertWindow).toBe(15 * 60_000);
    expect(loadSettings(['alertWindow'], {}, { ALERT_SUPPRESS_WINDOW: '1h' }).alertWindow).toBe(3_600_000);
    expect([window('0'), window('500ms'), window('90s'), window('1d')]).toEqual([0, 500, 90_000, 86_400_000]);
    expect(() => window('15')).toThrow(/^--alert-window: "15" is not a duration/);
    expect(() => window('-1m')).toThrow(/is not a duration/);
    expect(() => window('8d')).toThrow(/^--alert-window: 8d is outside 0 to 604800000 ms/);
  });

  it('never repeats a MongoDB URL, which may hold a password, in an error', () => {
    const error = (() => {
      try {
        loadSettings(['mongodbUrl'], {}, { MONGODB_URL: 'mongodb://user:pass@bad host:27017' });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toMatch(/^MONGODB_URL: the value is not a URL/);
    expect(error?.message).not.toContain('pass');
  });

  it('documents every setting, and gives every flag an environment twin', () => {
    for (const [name, spec] of Object.entries(SETTINGS)) {
      expect('env' in spec, name).toBe(true);
      expect(spec.doc.length, name).toBeGreaterThan(10);
    }
    expect(describeSettings(['brokers'])).toBe(
      '  --brokers <value>, $KAFKA_BROKERS  Kafka bootstrap servers, comma-separated host:port. [default: localhost:9092]',
    );
  });
});
