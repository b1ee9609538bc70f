import type { StoreLag, StreamsMetadata } from '../topology/index.js';
import { type MetricSample, parsePrometheusText, sumOf } from './prometheus-text.js';

/** What the engine view reads of a running engine: a KafkaStreams, or a WorkerStreams. */
export interface EngineSource {
  readonly state: string;
  isReady(): boolean;
  localStoreLags(): readonly StoreLag[];
  metadataForAllStreamsClients(): readonly StreamsMetadata[];
  readonly metrics: { readonly registry: { metrics(): Promise<string> } };
}

/** One instance's own account of itself (the internal route's answer). */
export interface InstanceStatus {
  readonly state: string;
  /** Every active task restored (as /readyz). */
  readonly ready: boolean;
  /** Every store copy kept here, active or standby, with its changelog lag (null while unknown). */
  readonly stores: readonly {
    readonly store: string;
    readonly partition: number;
    readonly role: 'active' | 'standby';
    readonly restoring: boolean;
    readonly lag: number | null;
  }[];
  /** Input records not yet processed, by assigned partition. */
  readonly consumerLag: readonly {
    readonly topic: string;
    readonly partition: number;
    readonly lag: number;
  }[];
  readonly recordsConsumed: number;
  readonly recordsProcessed: number;
  readonly commits: number;
  readonly rebalances: number;
  readonly restoredRecords: number;
  /** Changelog records still to read before the restoring stores are ready. */
  readonly restoreRemaining: number;
  readonly deadLetters: readonly {
    readonly topic: string;
    readonly code: string;
    readonly records: number;
  }[];
  /** When these figures were read (ISO-8601): a rate is the difference of two readings over their interval. */
  readonly sampledAt: string;
}

/** An instance as the group's assignment shows it, with its own account when it answered. */
export interface InstanceView {
  readonly host: string | null;
  readonly memberId: string | null;
  readonly self: boolean;
  readonly activeTasks: readonly string[];
  readonly standbyTasks: readonly string[];
  readonly partitions: readonly { readonly topic: string; readonly partition: number }[];
  /** Present when the instance answered. */
  readonly status: InstanceStatus | null;
  /** Why there is no status: unreachable, or no host advertised. */
  readonly error: string | null;
}

/** This instance's account: the engine's state and store lags, and its figures from the engine's metrics. */
export async function localInstanceStatus(source: EngineSource): Promise<InstanceStatus> {
  const samples = parsePrometheusText(await source.metrics.registry.metrics());
  return {
    state: source.state,
    ready: source.isReady(),
    stores: source.localStoreLags().map((copy) => ({
      store: copy.store,
      partition: copy.partition,
      role: copy.role,
      restoring: copy.restoring,
      lag: copy.lag ?? null,
    })),
    consumerLag: samples
      .filter((s) => s.name === 'probestream_consumer_lag')
      .map((s) => ({ topic: s.labels.topic ?? '', partition: Number(s.labels.partition), lag: s.value }))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
    recordsConsumed: sumOf(samples, 'probestream_records_consumed_total'),
    recordsProcessed: sumOf(samples, 'probestream_records_processed_total'),
    commits: sumOf(samples, 'probestream_commits_total'),
    rebalances: sumOf(samples, 'probestream_rebalances_total'),
    restoredRecords: sumOf(samples, 'probestream_restored_records_total'),
    restoreRemaining: sumOf(samples, 'probestream_restore_remaining_records'),
    deadLetters: deadLetters(samples),
    sampledAt: new Date().toISOString(),
  };
}

function deadLetters(samples: readonly MetricSample[]): InstanceStatus['deadLetters'] {
  return samples
    .filter((s) => s.name === 'probestream_dlq_records_total' && s.value > 0)
    .map((s) => ({ topic: s.labels.topic ?? '', code: s.labels.code ?? '', records: s.value }));
}

/** Where the internal route answers, on every instance. */
export const INTERNAL_ENGINE_PATH = '/internal/engine';

/**
 * The engine across instances: the members of the group (from the assignment every instance can read) and
 * each one's account of itself, asked over HTTP in parallel with a timeout, so a dead instance shows as
 * unreachable rather than holding the answer up.
 */
export async function gatherInstances(
  source: EngineSource,
  self: string,
  timeoutMs = 2000,
): Promise<InstanceView[]> {
  const members: StreamsMetadata[] = [...source.metadataForAllStreamsClients()];
  // Between assignments (or before the first) the group shows no one: this instance still has a story to tell.
  if (!members.some((member) => member.hostInfo === self)) {
    members.push({
      memberId: '',
      hostInfo: self,
      activeTasks: [],
      standbyTasks: [],
      stateStoreNames: [],
      topicPartitions: [],
    });
  }
  const views = await Promise.all(
    members.map(async (member): Promise<InstanceView> => {
      const base = {
        host: member.hostInfo,
        memberId: member.memberId === '' ? null : member.memberId,
        self: member.hostInfo === self,
        activeTasks: member.activeTasks,
        standbyTasks: member.standbyTasks,
        partitions: [...member.topicPartitions].sort(
          (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition,
        ),
      };
      if (member.hostInfo === null)
        return { ...base, status: null, error: 'no application.server advertised' };
      try {
        const status =
          member.hostInfo === self
            ? await localInstanceStatus(source)
            : await askInstance(member.hostInfo, timeoutMs);
        return { ...base, status, error: null };
      } catch (error) {
        return { ...base, status: null, error: (error as Error).message };
      }
    }),
  );
  return views.sort((a, b) => (a.host ?? '').localeCompare(b.host ?? ''));
}

async function askInstance(host: string, timeoutMs: number): Promise<InstanceStatus> {
  let response: Response;
  try {
    response = await fetch(`http://${host}${INTERNAL_ENGINE_PATH}`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch {
    throw new Error(`did not answer within ${timeoutMs} ms`);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`answered ${response.status}`);
  }
  return (await response.json()) as InstanceStatus;
}
