import type { Kafka } from 'kafkajs';
import { inject } from 'vitest';
import { ProbeApplication } from '../../src/app/probe-application.js';
import { freePort } from '../../src/local/ports.js';
import { silentLogger } from '../../src/logging/index.js';
import type { ProbeTopics } from '../../src/probes/schemas.js';
import { pcapValueOf } from '../../src/probes/serdes.js';
import type { StreamsConfigInput } from '../../src/topology/index.js';
import { uniqueName } from './kafka.js';
import { eventually, newStateDir } from './streams.js';

/** Topic names no other test uses, for one probe application (or several instances of one). */
export function uniqueProbeTopics(): ProbeTopics {
  return {
    pcap: uniqueName('pcap'),
    devices: uniqueName('devices'),
    ssidAlertList: uniqueName('ssid-alert-list'),
    alerts: uniqueName('alerts'),
  };
}

export interface TestProbeApp {
  readonly app: ProbeApplication;
  /** host:port of its API (its application.server). */
  readonly self: string;
  readonly url: string;
}

/**
 * Starts a probe application on the run's broker with its API on a free loopback port, its own state
 * folder and a 200 ms commit interval. The caller closes it.
 */
export async function startTestProbeApp(
  kafka: Kafka,
  options: {
    readonly topics: ProbeTopics;
    readonly applicationId: string;
    readonly partitions?: number;
    readonly apiToken?: string;
    readonly streams?: Partial<StreamsConfigInput>;
  },
): Promise<TestProbeApp> {
  const port = await freePort();
  const self = `127.0.0.1:${port}`;
  const app = new ProbeApplication({
    kafka,
    partitions: options.partitions ?? 2,
    topics: options.topics,
    logger: silentLogger,
    api: { port, host: '127.0.0.1', apiToken: options.apiToken },
    streams: {
      applicationId: options.applicationId,
      bootstrapServers: inject('kafkaBrokers'),
      applicationServer: self,
      stateDir: newStateDir(),
      commitIntervalMs: 200,
      ...options.streams,
    },
  });
  await app.start();
  return { app, self, url: `http://${self}` };
}

/** Waits until every instance has restored its tasks and the first sees all of them in the group. */
export async function waitForGroup(instances: readonly TestProbeApp[], timeoutMs = 60_000): Promise<void> {
  const [first] = instances;
  if (!first) throw new TypeError('no instance to wait for');
  await eventually(
    () =>
      first.app.streams.metadataForAllStreamsClients().length === instances.length &&
      instances.every((instance) => instance.app.streams.isReady()),
    (ok) => ok,
    timeoutMs,
  );
}

/** One `pcap` record of a probe request from `mac` for `ssid` (null: no SSID element), keyed by the MAC. */
export function probeMessage(mac: string, ssid: string | null, timestamp: number) {
  return { key: mac, value: JSON.stringify(pcapValueOf({ mac, ssid, timestamp, signalDbm: -60 })) };
}

/** Writes `messages` to `topic` with a producer of their own. */
export async function produceMessages(
  kafka: Kafka,
  topic: string,
  messages: { key: string; value: Buffer | string }[],
): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

/** GETs `base + path`: the status, headers and JSON body (typed loosely: the assertions check it). */
export async function getJson(base: string, path: string) {
  const response = await fetch(`${base}${path}`);
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by the assertions
  return { status: response.status, headers: response.headers, body: (await response.json()) as any };
}
