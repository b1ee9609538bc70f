import { parseRecordName, recordName, skipsTopic, writeSkip } from '../../topology/index.js';
import { defineCommand, UsageError } from '../command.js';
import { createKafka, KAFKA_SETTINGS } from '../kafka.js';

export const skipCommand = defineCommand({
  name: 'skip',
  summary: 'Tell an application to pass over records that stop it: they go to its DLQ unprocessed.',
  arguments: '<topic-partition@offset>...',
  positionals: { min: 1, max: 100 },
  description: `
For an instance that stops on a record (with a handler set to "fail"): the error names the record as
topic-partition@offset, e.g. pcap-3@1234. \`skip\` writes a marker to <application-id>-skips; every
instance of the application, running or started later, sends that record to <application-id>-dlq with code
RECORD_SKIPPED instead of processing it, and processes the records around it as usual. Running instances
read the markers at their next rebalance; restart the one that stopped.`,
  settings: [...KAFKA_SETTINGS, 'applicationId'],
  async run({ settings, positionals, stdout }) {
    const records = positionals.map((text) => {
      const record = parseRecordName(text);
      if (!record)
        throw new UsageError(`${JSON.stringify(text)} is not topic-partition@offset, e.g. pcap-3@1234`);
      return record;
    });
    const kafka = createKafka(settings, `${settings.applicationId}-skip`);
    const admin = kafka.admin();
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
    });
    await admin.connect();
    try {
      await producer.connect();
      const topics = new Set(await admin.listTopics());
      for (const record of records) {
        if (!topics.has(record.topic)) throw new UsageError(`there is no topic ${record.topic}`, 1);
        const offsets = await admin.fetchTopicOffsets(record.topic);
        const partition = offsets.find((p) => p.partition === record.partition);
        if (!partition) {
          throw new UsageError(
            `${record.topic} has no partition ${record.partition} (it has ${offsets.length})`,
            1,
          );
        }
        const offset = BigInt(record.offset);
        if (offset < BigInt(partition.low) || offset >= BigInt(partition.high)) {
          throw new UsageError(
            `${recordName(record)} is not in the log: ${record.topic}-${record.partition} holds offsets ${partition.low} to ${BigInt(partition.high) - 1n}`,
            1,
          );
        }
      }
      for (const record of records) {
        await writeSkip(admin, producer, settings.applicationId, record, 'probestream skip');
        stdout.write(
          `${recordName(record)} will go to ${settings.applicationId}-dlq unprocessed (marker in ${skipsTopic(settings.applicationId)})\n`,
        );
      }
    } finally {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
    return 0;
  },
});
