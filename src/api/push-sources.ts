import type { Kafka, KafkaMessage } from 'kafkajs';
import type { Logger } from '../logging/index.js';
import { type Alert, type ProbeTopics, TOPICS } from '../probes/schemas.js';
import { pcapSerde } from '../probes/serdes.js';
import { KafkaPushSource } from './kafka-push-source.js';
import type { ProbeEvent, PushSources } from './push.js';

export interface KafkaPushSourcesOptions {
  readonly kafka: Kafka;
  /** Names this instance's consumer groups (`<application.id>-<host:port>` reads well). */
  readonly groupIdPrefix: string;
  /** The `alerts` and `pcap` topic names, when they differ from the defaults (docs/architecture.md, "Topic contracts"). */
  readonly topics?: Partial<Pick<ProbeTopics, 'alerts' | 'pcap'>>;
  /** See KafkaPushSourceOptions.idleStopMs. */
  readonly idleStopMs?: number;
  readonly logger?: Logger;
}

/** The push queries' sources read from Kafka; `close` stops both consumers. */
export interface KafkaPushSources extends PushSources {
  close(): Promise<void>;
}

/**
 * Alerts from the `alerts` topic (JSON) and probe requests from the `pcap` topic (every shape tshark
 * writes), each by a consumer of this instance's own, started when first subscribed to. Records that
 * cannot be read, and frames that are not probe requests, are skipped: the topology's DLQ is where
 * unreadable records are accounted for.
 */
export function createKafkaPushSources(options: KafkaPushSourcesOptions): KafkaPushSources {
  const topics = { ...TOPICS, ...options.topics };
  const common = {
    kafka: options.kafka,
    ...(options.idleStopMs === undefined ? {} : { idleStopMs: options.idleStopMs }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  };
  const alerts = new KafkaPushSource<Alert>({
    ...common,
    topic: topics.alerts,
    groupIdPrefix: `${options.groupIdPrefix}-alerts-stream`,
    decode: decodeAlert,
  });
  const serde = pcapSerde();
  const probes = new KafkaPushSource<ProbeEvent>({
    ...common,
    topic: topics.pcap,
    groupIdPrefix: `${options.groupIdPrefix}-probes-stream`,
    decode: (message) =>
      message.value === null ? undefined : (serde.deserialize(message.value, topics.pcap) ?? undefined),
  });
  return {
    alerts,
    probes,
    async close() {
      await Promise.all([alerts.close(), probes.close()]);
    },
  };
}

/** An `alerts` record's value, or undefined when it is not an alert. */
export function decodeAlert(message: KafkaMessage): Alert | undefined {
  if (message.value === null) return undefined;
  const value = JSON.parse(message.value.toString('utf8')) as Partial<Alert> | null;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof value.ts !== 'string' ||
    typeof value.mac !== 'string' ||
    typeof value.ssid !== 'string' ||
    typeof value.reason !== 'string'
  ) {
    return undefined;
  }
  return {
    ts: value.ts,
    mac: value.mac,
    ssid: value.ssid,
    reason: value.reason,
    deviceName: typeof value.deviceName === 'string' ? value.deviceName : null,
  };
}
