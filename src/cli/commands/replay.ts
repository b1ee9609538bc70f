import { CaptureError } from '../../capture/errors.js';
import { openCaptureFile } from '../../capture/open.js';
import { CaptureProducer } from '../../capture/producer.js';
import { type ReplayProgress, replay } from '../../capture/replay.js';
import { defineCommand, UsageError } from '../command.js';
import { createKafka, KAFKA_SETTINGS } from '../kafka.js';
import { log } from '../log.js';
import { count, progressReporter } from '../progress.js';
import { noProbeRequestsWarning, skippedFrameWarning, skippedSummary } from '../replay-warnings.js';

const requests = (n: number) => `${count(n)} probe request${n === 1 ? '' : 's'}`;

export const replayCommand = defineCommand({
  name: 'replay',
  summary: 'Write a capture file (.pcap, .pcapng, or tshark EK lines) to the pcap topic.',
  arguments: '<file>',
  positionals: { min: 1, max: 1 },
  description: `
The format is read from the file's content: pcap and pcapng (802.11 with radiotap, as a monitor-mode
capture writes them, parsed natively: no Wireshark needed), or tshark EK lines as \`tshark -T ek -e …\`
or the original \`… | jq -c '{timestamp: .timestamp} + .layers'\` pipeline writes them, from any tshark
version. \`-\` reads EK lines from stdin. Each frame becomes one record keyed by its source MAC. Creates
the topic when it is missing. Exits 0 only when Kafka acknowledged every record.`,
  settings: [...KAFKA_SETTINGS, 'topic', 'speed', 'loop', 'partitions'],
  async run({ settings, positionals, signal, stderr }) {
    const path = positionals[0] as string;
    const speed = settings.speed === 'max' ? 'max' : Number(settings.speed);
    if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) {
      throw new UsageError(`--speed: ${JSON.stringify(settings.speed)} is not "max" or a number above 0`);
    }
    const source = await openCaptureFile(path);
    if (settings.loop && !source.repeatable) throw new UsageError('--loop needs a file, not stdin');

    const kafka = createKafka(settings, 'probestream-replay');
    const admin = kafka.admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(settings.topic)) {
        await admin.createTopics({
          topics: [{ topic: settings.topic, numPartitions: settings.partitions }],
          waitForLeaders: true,
        });
        log(`created topic ${settings.topic} with ${settings.partitions} partitions`);
      }
    } finally {
      await admin.disconnect();
    }

    const producer = new CaptureProducer({
      kafka,
      topic: settings.topic,
      onSkipped: skippedFrameWarning(stderr, settings.topic),
    });
    await producer.connect();
    const progress = progressReporter(stderr, () => source.fraction());
    let result: ReplayProgress | undefined;
    let failure: unknown;
    try {
      result = await replay(() => source.open(), {
        producer,
        speed,
        loop: settings.loop,
        signal,
        onProgress: progress.update,
      });
    } catch (error) {
      failure = error;
    } finally {
      progress.done();
    }
    // Whatever was read before a failure is still flushed: the summary says how much of it Kafka has.
    await producer.close().catch((error: unknown) => {
      failure ??= error;
    });
    const summary = source.summary();
    const stats = producer.stats;
    stderr.write(
      `${signal.aborted ? 'stopped: ' : ''}read ${count(result?.framesRead ?? stats.written)} frames` +
        (result ? ` (${requests(result.probeRequests)})` : '') +
        ` from ${path} (${summary.format}); ${count(stats.written)} records produced to ${settings.topic}, ` +
        `${count(stats.acknowledged)} acknowledged\n`,
    );
    if (summary.unreadable > 0) {
      stderr.write(`${count(summary.unreadable)} unreadable: ${summary.reasons.slice(0, 5).join('; ')}\n`);
    }
    if (stats.skipped > 0) stderr.write(skippedSummary(stats.skipped, settings.topic, producer));
    if (result && result.framesRead > 0 && result.probeRequests === 0) {
      stderr.write(noProbeRequestsWarning(result.framesRead, summary.format));
    }
    if (failure !== undefined) throw failure;
    if (summary.unreadable > 0 && stats.written === 0) {
      throw new CaptureError('CAPTURE_UNREADABLE_FILE', `${path} holds no frame that could be read`);
    }
    return stats.acknowledged === stats.written ? 0 : 1;
  },
});
