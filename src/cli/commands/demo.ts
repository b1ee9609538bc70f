import { once } from 'node:events';
import type { RunningBot } from '../../bot/index.js';
import { BOT_SETTINGS, startBotFromSettings } from '../bot.js';
import { defineCommand } from '../command.js';
import { DEMO_WATCHED, startDemo } from '../demo.js';
import { KAFKA_SETTINGS, kafkaSecurity } from '../kafka.js';
import { cliLogger, log } from '../log.js';

export const demoCommand = defineCommand({
  name: 'demo',
  summary: 'See it work: a local broker, the bundled capture replayed in a loop, the topology and the API.',
  description: `
Starts a local Kafka broker (or uses KAFKA_BROKERS), loads the bundled device list into devices (or runs CDC
when MONGODB_URL is set), watches one SSID, runs the topology and the API on --port, and replays the
bundled capture (demo/capture.pcapng) in a loop at capture speed. Starts the bot when TELEGRAM_BOT_TOKEN is
set. Ctrl-C stops everything it started. State goes to a temporary folder unless STATE_DIR is set.`,
  settings: [...KAFKA_SETTINGS, 'port', 'stateDir', 'mongodbUrl', ...BOT_SETTINGS],
  defaults: {
    brokers: 'a local broker started for the demo',
    stateDir: 'a temporary folder, removed at the end',
    applicationId: 'probestream-demo',
  },
  async run({ settings, explicit, signal, stdout }) {
    const port = settings.port;
    let demo: Awaited<ReturnType<typeof startDemo>>;
    try {
      demo = await startDemo({
        brokers: explicit.has('brokers') ? settings.brokers : undefined,
        kafka: kafkaSecurity(settings),
        applicationId: explicit.has('applicationId') ? settings.applicationId : 'probestream-demo',
        port,
        stateDir: explicit.has('stateDir') ? settings.stateDir : undefined,
        mongodbUrl: settings.mongodbUrl,
        apiToken: settings.apiToken,
        logger: cliLogger(),
        signal,
      });
    } catch (error) {
      // Stopped while starting: what was started is stopped already.
      if (signal.aborted) return 130;
      throw error;
    }
    let bot: RunningBot | undefined;
    const failed = new AbortController();
    let failure: Error | undefined;
    try {
      bot = await startBotFromSettings(settings, {
        apiUrl: demo.url,
        kafka: demo.kafka,
        logger: cliLogger(),
        metricsRegistry: demo.app.extraMetrics,
        onError: (error) => {
          failure = error;
          failed.abort();
        },
      });
      const { mac, name } = demo.sample;
      const auth = settings.apiToken ? ` -H "Authorization: Bearer $API_TOKEN"` : '';
      stdout.write(`
probestream demo is running: the API is at ${demo.url} (Kafka on ${demo.brokers}).
Numbers move as the capture replays; an alert fires whenever a device probes for "${DEMO_WATCHED.ssid}".
Open the console in a browser: ${demo.url}/ (the API's reference: ${demo.url}/docs)
Try:
  curl -s ${demo.url}/devices/${mac}/stats
  curl -s '${demo.url}/devices/by-name/${encodeURIComponent(name).replaceAll("'", '%27')}/stats'
  curl -s '${demo.url}/devices?limit=5'
  curl -s '${demo.url}/names?limit=5'
  curl -sN ${demo.url}/alerts/stream
  curl -s -X PUT ${demo.url}/ssid-alerts/RNM0${auth} -H 'Content-Type: application/json' -d '{"reason":"watched"}'
  npm run --silent probestream -- query ${mac} --api ${demo.url}
  npm run --silent probestream -- query '${name.replaceAll("'", "'\\''")}' --api ${demo.url}
${bot ? `The Telegram bot is running (${bot.mode}).\n` : ''}Ctrl-C stops everything.
`);
      const stop = AbortSignal.any([signal, failed.signal]);
      if (!stop.aborted) await once(stop, 'abort');
    } finally {
      log('stopping the demo');
      await bot?.stop();
      await demo.stop();
    }
    if (failure) throw failure;
    return 0;
  },
});
