import { Kafka, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { ensureProbeTopics } from '../probes/topics.js';
import { kafkaLogging } from '../topology/index.js';
import { cliLogger } from './log.js';
import type { Settings } from './settings.js';

export type KafkaSettings = Settings<
  'brokers' | 'kafkaSaslMechanism' | 'kafkaSaslUsername' | 'kafkaSaslPassword' | 'kafkaSsl'
>;

export const KAFKA_SETTINGS = [
  'brokers',
  'kafkaSaslMechanism',
  'kafkaSaslUsername',
  'kafkaSaslPassword',
  'kafkaSsl',
] as const;

/** kafkajs settings for a managed cluster (TLS, SASL), without brokers and client id. */
export function kafkaSecurity(settings: KafkaSettings): Omit<KafkaConfig, 'brokers' | 'clientId'> {
  const security: { ssl?: boolean; sasl?: SASLOptions } = {};
  if (settings.kafkaSsl) security.ssl = true;
  if (settings.kafkaSaslMechanism !== undefined) {
    security.sasl = {
      mechanism: settings.kafkaSaslMechanism,
      username: settings.kafkaSaslUsername ?? '',
      password: settings.kafkaSaslPassword ?? '',
    } as SASLOptions;
  }
  return security;
}

/** A kafkajs client from the command's settings. */
export function createKafka(settings: KafkaSettings, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: [...settings.brokers],
    // About 15 s of retries: a broker that is not there should be reported, not waited for a minute.
    retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 },
    ...kafkaSecurity(settings),
    ...kafkaLogging(cliLogger()),
  });
}

/** Creates the application topics that are missing (pcap, devices, ssid_alert_list, alerts), logging each. */
export async function createMissingTopics(kafka: Kafka, partitions: number): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await ensureProbeTopics(admin, { partitions, logger: cliLogger() });
  } finally {
    await admin.disconnect();
  }
}
