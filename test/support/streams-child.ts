/**
 * A KafkaStreams instance in a process of its own, for tests that kill it with SIGKILL mid-stream. It counts
 * records per key of one topic into the store `counts` and prints `STATE <state>` lines on stdout.
 *
 * Settings come as one JSON argument: { brokers, applicationId, input, stateDir, guarantee, commitIntervalMs,
 * applicationServer? }.
 */
import { KafkaStreams, type ProcessingGuarantee, Serdes, StreamsBuilder } from '../../src/topology/index.js';
import { testProducerClient } from './producer-client.js';

interface ChildSettings {
  readonly brokers: string;
  readonly applicationId: string;
  readonly input: string;
  readonly stateDir: string;
  readonly guarantee: ProcessingGuarantee;
  readonly commitIntervalMs: number;
  readonly applicationServer?: string;
  readonly numStandbyReplicas?: number;
}

const settings = JSON.parse(process.argv[2] ?? '{}') as ChildSettings;
const builder = new StreamsBuilder();
builder.stream<string, string>(settings.input, { valueSerde: Serdes.String() }).groupByKey().count('counts');
const streams = new KafkaStreams(builder.build(), {
  applicationId: settings.applicationId,
  bootstrapServers: settings.brokers,
  stateDir: settings.stateDir,
  processingGuarantee: settings.guarantee,
  commitIntervalMs: settings.commitIntervalMs,
  sessionTimeoutMs: 6_000,
  ...testProducerClient(),
  ...(settings.applicationServer ? { applicationServer: settings.applicationServer } : {}),
  ...(settings.numStandbyReplicas ? { numStandbyReplicas: settings.numStandbyReplicas } : {}),
});
streams.onStateChange((state) => process.stdout.write(`STATE ${state}\n`));
process.once('SIGTERM', () => void streams.close().then(() => process.exit(0)));
await streams.start();
