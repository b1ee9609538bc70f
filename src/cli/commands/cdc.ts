import { once } from 'node:events';
import { DeviceCdc } from '../../capture/cdc.js';
import { redactCredentials } from '../../capture/cdc-events.js';
import type { CaptureError } from '../../capture/errors.js';
import { defineCommand, UsageError } from '../command.js';
import { createKafka, createMissingTopics, KAFKA_SETTINGS } from '../kafka.js';
import { cliLogger, log } from '../log.js';

export const cdcCommand = defineCommand({
  name: 'cdc',
  summary: 'Follow MongoDB ace.device and ace.user into the devices topic (change data capture).',
  description: `
Writes a snapshot of both collections, then follows their change streams (fullDocument: updateLookup).
Its position (resume tokens) is kept in Kafka, in the compacted topic <application-id>-cdc-offsets, with
each change written in one transaction with it: a restart neither misses nor repeats a change. A server
without change streams (not a replica set) is polled and diffed instead, as the log says. \`probestream
start\` runs the same CDC when MONGODB_URL is set.`,
  settings: [...KAFKA_SETTINGS, 'mongodbUrl', 'applicationId', 'partitions'],
  async run({ settings, signal }) {
    if (settings.mongodbUrl === undefined) {
      throw new UsageError('give the MongoDB to follow: --mongodb-url <url> (or MONGODB_URL)');
    }
    const kafka = createKafka(settings, `${settings.applicationId}-cdc`);
    await createMissingTopics(kafka, settings.partitions);
    let failure: CaptureError | undefined;
    const failed = new AbortController();
    const cdc = new DeviceCdc({
      mongodbUrl: settings.mongodbUrl,
      kafka,
      applicationId: settings.applicationId,
      logger: cliLogger(),
      onError: (error) => {
        failure = error;
        failed.abort();
      },
    });
    log(`CDC from ${redactCredentials(settings.mongodbUrl)} into devices`);
    try {
      await cdc.start();
      const { snapshotDocuments, recordsWritten } = cdc.stats();
      log(
        `CDC running (${cdc.mode}): ${snapshotDocuments} documents in the snapshot, ${recordsWritten} records written`,
      );
      const stop = AbortSignal.any([signal, failed.signal]);
      if (!stop.aborted) await once(stop, 'abort');
    } finally {
      await cdc.close();
    }
    if (failure) throw failure;
    const stats = cdc.stats();
    log(
      `CDC stopped: ${stats.changes} changes, ${stats.recordsWritten} records written, ${stats.tombstones} tombstones`,
    );
    return 0;
  },
});
