import { CaptureProducer } from '../../capture/producer.js';
import { replay } from '../../capture/replay.js';
import { captureWithTshark } from '../../capture/tshark.js';
import { defineCommand, UsageError } from '../command.js';
import { createKafka, KAFKA_SETTINGS } from '../kafka.js';
import { cliLogger, log } from '../log.js';
import { progressReporter } from '../progress.js';
import { noProbeRequestsWarning, skippedFrameWarning, skippedSummary } from '../replay-warnings.js';

export const captureCommand = defineCommand({
  name: 'capture',
  summary: 'Capture Wi-Fi frames live with tshark and write them to the pcap topic.',
  description: `
Runs tshark on a Wi-Fi interface in monitor mode and writes every frame to the pcap topic, keyed by source
MAC, as the original \`tshark -T ek | jq\` pipeline did. Needs tshark (Debian: apt-get install tshark) and
the right to capture (root, or membership of the wireshark group). Stops on Ctrl-C once every record
written is acknowledged.`,
  settings: [...KAFKA_SETTINGS, 'interface', 'monitorMode', 'captureFilter', 'topic'],
  async run({ settings, signal, stderr }) {
    if (settings.interface === undefined) {
      throw new UsageError('give the interface to capture on: --interface <name> (or CAPTURE_INTERFACE)');
    }
    const capture = captureWithTshark({
      interface: settings.interface,
      monitorMode: settings.monitorMode,
      ...(settings.captureFilter === undefined ? {} : { captureFilter: settings.captureFilter }),
      signal,
      log: (line) => cliLogger().child('tshark').info(line),
    });
    const producer = new CaptureProducer({
      kafka: createKafka(settings, 'probestream-capture'),
      topic: settings.topic,
      onSkipped: skippedFrameWarning(stderr, settings.topic),
    });
    await producer.connect();
    log(`capturing on ${settings.interface} into topic ${settings.topic}: tshark ${capture.args.join(' ')}`);
    const progress = progressReporter(stderr, undefined);
    try {
      const result = await replay(() => capture, { producer, signal, onProgress: progress.update });
      progress.done();
      stderr.write(
        `captured ${result.framesRead} frames (${result.probeRequests} probe requests); ` +
          `${result.acknowledged} records acknowledged by Kafka\n`,
      );
      if (result.skipped > 0) stderr.write(skippedSummary(result.skipped, settings.topic, producer));
      if (result.framesRead > 0 && result.probeRequests === 0) {
        stderr.write(noProbeRequestsWarning(result.framesRead, 'tshark'));
      }
    } finally {
      progress.done();
      await producer.close();
    }
    return 0;
  },
});
