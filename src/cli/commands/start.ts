import { once } from 'node:events';
import { ProbeApplication } from '../../app/probe-application.js';
import type { RunningBot } from '../../bot/index.js';
import { redactCredentials } from '../../capture/cdc-events.js';
import { freePort } from '../../local/ports.js';
import { describeError, type RecordMetadata, recordName, retryWhileTransient } from '../../topology/index.js';
import { BOT_SETTINGS, startBotFromSettings } from '../bot.js';
import { defineCommand } from '../command.js';
import { createKafka, KAFKA_SETTINGS, kafkaSecurity } from '../kafka.js';
import { cliLogger, log } from '../log.js';
import { ensurePortFree } from '../port-check.js';
import { logProcessingProgress } from '../processing-progress.js';
import { showRestoreProgress } from '../restore-progress.js';
import { waitForKafka } from '../startup.js';

/** Where the API listens: every interface, since other instances forward queries to it. */
const API_HOST = '0.0.0.0';

export const startCommand = defineCommand({
  name: 'start',
  summary: 'Run the probe topology and its HTTP API (with CDC and the bot when they are configured).',
  description: `
Joins the consumer group <application-id>: start more instances with the same id (and their own
--state-dir and --port) to share the work. Serves the API on --port (all interfaces); other instances
reach it at --application-server, which must name this host and port. Runs the MongoDB CDC when
MONGODB_URL is set, and the Telegram bot (see \`probestream bot --help\`) when TELEGRAM_BOT_TOKEN is set.
Creates the topics pcap, devices, ssid_alert_list and alerts when they are missing. Stops cleanly on
Ctrl-C (SIGINT) or SIGTERM, committing what it processed.`,
  settings: [
    ...KAFKA_SETTINGS,
    'applicationId',
    'applicationServer',
    'stateDir',
    'port',
    'startupTimeout',
    'sessionTimeoutMs',
    'processingGuarantee',
    'commitIntervalMs',
    'numStandbyReplicas',
    'deserializationExceptionHandler',
    'processingExceptionHandler',
    'productionExceptionHandler',
    'maxRequestBytes',
    'producerClient',
    'maxPcapRecordBytes',
    'alertWindow',
    'mongodbUrl',
    'partitions',
    ...BOT_SETTINGS,
  ],
  // One sequence, kept in one function (about 95 lines) so that its order reads plainly: wait for Kafka,
  // start with retries, run the bot, wait for a stop, then close in reverse.
  async run({ settings, signal, stderr }) {
    // Port 0 asks for any free port; it must be known before joining, since the group advertises it.
    const port = settings.port === 0 ? await freePort() : settings.port;
    await ensurePortFree(port, API_HOST);
    const kafka = createKafka(settings, `${settings.applicationId}-admin`);
    let failure: Error | undefined;
    const failed = new AbortController();
    const stop = AbortSignal.any([signal, failed.signal]);
    const fail = (error: Error) => {
      failure ??= error;
      failed.abort();
    };
    const makeApp = () => {
      const app = new ProbeApplication({
        kafka,
        partitions: settings.partitions,
        maxPcapRecordBytes: settings.maxPcapRecordBytes,
        alertSuppressWindowMs: settings.alertWindow,
        mongodbUrl: settings.mongodbUrl,
        timeZone: settings.timezone,
        api: { port, host: API_HOST, apiToken: settings.apiToken },
        logger: cliLogger(),
        onCdcError: fail,
        streams: {
          applicationId: settings.applicationId,
          bootstrapServers: settings.brokers,
          applicationServer: settings.applicationServer ?? `127.0.0.1:${port}`,
          stateDir: settings.stateDir,
          processingGuarantee: settings.processingGuarantee as 'at_least_once' | 'exactly_once',
          commitIntervalMs: settings.commitIntervalMs,
          numStandbyReplicas: settings.numStandbyReplicas,
          sessionTimeoutMs: settings.sessionTimeoutMs,
          deserializationExceptionHandler: settings.deserializationExceptionHandler as 'dlq' | 'fail',
          processingExceptionHandler: settings.processingExceptionHandler as 'dlq' | 'fail',
          productionExceptionHandler: settings.productionExceptionHandler as 'dlq' | 'fail',
          maxRequestBytes: settings.maxRequestBytes,
          producerClient: settings.producerClient as 'kafkajs' | 'native',
          kafka: kafkaSecurity(settings),
        },
      });
      app.streams.onStateChange((next, previous) => log(`state ${previous} -> ${next}`));
      const stopProgress = showRestoreProgress(app.streams, stderr);
      app.streams.onStateChange((next) => {
        if (next === 'ERROR' || next === 'PENDING_SHUTDOWN' || next === 'RUNNING') stopProgress();
      });
      return app;
    };
    log(
      `starting application ${settings.applicationId} on ${settings.brokers.join(',')}` +
        (settings.mongodbUrl ? `, CDC from ${redactCredentials(settings.mongodbUrl)}` : ''),
    );
    const waiting = { deadline: Date.now() + settings.startupTimeout * 1000, signal: stop, log };
    let app: ProbeApplication | undefined;
    let bot: RunningBot | undefined;
    let stopProcessingLog = () => {};
    try {
      // A service manager may start this before the broker: wait for it, and for the states it passes
      // through while topics are made and the group forms, rather than exit.
      if (await waitForKafka(kafka, waiting)) {
        app = await retryWhileTransient(
          'start the application',
          async () => {
            const candidate = makeApp();
            try {
              await startUntilRunning(candidate, stop);
              return candidate;
            } catch (error) {
              log(`start-up failed: ${describeError(error)}`);
              await candidate.close();
              throw error;
            }
          },
          waiting,
        );
      }
      if (app && !stop.aborted) {
        app.streams.setUncaughtExceptionHandler(fail);
        const running = app;
        stopProcessingLog = logProcessingProgress(
          () => running.streams.metrics.registry.getMetricsAsJSON(),
          log,
        );
        bot = await startBotFromSettings(settings, {
          apiUrl: `http://127.0.0.1:${port}`,
          kafka,
          logger: cliLogger(),
          metricsRegistry: app.extraMetrics,
          onError: fail,
        });
        if (bot) log(`bot running (${bot.mode})`);
        if (!stop.aborted) await once(stop, 'abort');
      }
    } catch (error) {
      fail(error as Error);
    } finally {
      stopProcessingLog();
      log('stopping');
      await bot?.stop();
      await app?.close();
    }
    if (failure) reportFailure(failure, settings.applicationId);
    return failure ? 1 : 0;
  },
});

/** Why start stopped, and, when a record stopped it, how to pass over that record. */
function reportFailure(failure: Error, applicationId: string): void {
  log(`stopped after an error: ${describeError(failure)}`);
  const record = (failure as { record?: RecordMetadata }).record;
  if (record) {
    log(
      `the record that stopped it: ${recordName(record)}; to pass over it (to the DLQ, unprocessed): ` +
        `probestream skip ${recordName(record)} --application-id ${applicationId}`,
    );
  }
}

/**
 * Starts the application and resolves once it runs (its tasks restored), or when `stop` aborts first;
 * rejects when it fails before that.
 */
function startUntilRunning(app: ProbeApplication, stop: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    app.streams.setUncaughtExceptionHandler(reject);
    app.streams.onStateChange((next) => {
      if (next === 'RUNNING') resolve();
    });
    stop.addEventListener('abort', () => resolve(), { once: true });
    app.start().then(() => {
      if (app.streams.state === 'RUNNING') resolve();
    }, reject);
  });
}
