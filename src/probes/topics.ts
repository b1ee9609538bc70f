import type { Admin } from 'kafkajs';
import type { Logger } from '../logging/index.js';
import { type ProbeTopics, TOPICS } from './schemas.js';

export interface EnsureTopicsOptions {
  /** Partitions of the topics created here. Tables and the stream they join must agree: all get this. */
  readonly partitions: number;
  readonly topics?: Partial<ProbeTopics>;
  readonly logger?: Logger;
}

/**
 * Creates the application's own topics that are missing: `pcap` and `alerts` (delete policy; `alerts`
 * stamped with the broker's time), `devices` and `ssid_alert_list` (compacted: they are tables). Existing topics are left as they are, and their
 * partition counts are the topology's business (it fails clearly when joined topics disagree). Returns the
 * names it created. Safe when several instances start at once.
 */
export async function ensureProbeTopics(admin: Admin, options: EnsureTopicsOptions): Promise<string[]> {
  const topics = { ...TOPICS, ...options.topics };
  const compact = [{ name: 'cleanup.policy', value: 'compact' }];
  // Alerts carry the probe's event time; a replayed old capture would have them deleted by time at once.
  // The broker's clock stamps them instead (the value's `ts` keeps the event time).
  const appendTime = [{ name: 'message.timestamp.type', value: 'LogAppendTime' }];
  const wanted = [
    { topic: topics.pcap, configEntries: [] },
    { topic: topics.devices, configEntries: compact },
    { topic: topics.ssidAlertList, configEntries: compact },
    { topic: topics.alerts, configEntries: appendTime },
  ];
  const existing = new Set(await admin.listTopics());
  const missing = wanted.filter((t) => !existing.has(t.topic));
  if (missing.length === 0) return [];
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map(({ topic, configEntries }) => ({
        topic,
        numPartitions: options.partitions,
        configEntries,
      })),
    });
  } catch (error) {
    // Another instance may have created them first; only a topic still missing is a failure.
    const now = new Set(await admin.listTopics());
    if (!missing.every((t) => now.has(t.topic))) throw error;
  }
  for (const { topic } of missing) {
    options.logger?.info(`created topic ${topic} with ${options.partitions} partitions`);
  }
  return missing.map((t) => t.topic);
}
