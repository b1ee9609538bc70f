import type { Kafka } from 'kafkajs';
import { probeStatsSerde } from '../../src/probes/schemas.js';
import { partitionForKey } from '../../src/topology/index.js';
import type { DeviceTruth } from './records.js';
import { readTopic } from './topic-reader.js';

/** A device whose count is wrong somewhere: in the API's answer, in the changelog, or both. */
export interface ChangelogMismatch {
  readonly mac: string;
  readonly partition: number;
  readonly truth: number;
  readonly answer: number | undefined;
  readonly changelog: number | undefined;
  /** The key's committed values in the changelog, in order: where the count went wrong. */
  readonly history: readonly { offset: string; time: string; count: number | null }[];
}

/**
 * Reads a stats store's changelog (read_committed, the latest value per key) and compares it with the
 * truth: a count the changelog has right and the API has wrong is lost in the API's copy of the store; one
 * the changelog has wrong too was lost before the store's commit reached Kafka.
 */
export async function checkChangelog(
  kafka: Kafka,
  changelog: string,
  partitions: number,
  truth: ReadonlyMap<string, DeviceTruth>,
  answers: readonly { mac: string; answer: number }[],
): Promise<{
  complete: boolean;
  changelogWrong: number;
  apiOnlyWrong: number;
  mismatches: ChangelogMismatch[];
}> {
  const serde = probeStatsSerde();
  const latest = new Map<string, number>();
  const history = new Map<string, { offset: string; time: string; count: number | null }[]>();
  const { complete } = await readTopic(kafka, changelog, { readCommitted: true }, (_partition, message) => {
    const mac = message.key?.toString();
    if (mac === undefined) return;
    const count = message.value === null ? null : serde.deserialize(message.value, changelog).probeCount;
    if (count === null) latest.delete(mac);
    else latest.set(mac, count);
    const time = new Date(Number(message.timestamp)).toISOString();
    history.set(mac, [...(history.get(mac) ?? []), { offset: message.offset, time, count }]);
  });
  const answerOf = new Map(answers.map(({ mac, answer }) => [mac, answer]));
  const mismatches: ChangelogMismatch[] = [];
  let changelogWrong = 0;
  let apiOnlyWrong = 0;
  for (const [mac, expected] of truth) {
    const changelogCount = latest.get(mac);
    const answer = answerOf.get(mac);
    const inChangelog = changelogCount !== expected.probeCount;
    if (inChangelog) changelogWrong += 1;
    else if (answer !== undefined) apiOnlyWrong += 1;
    if (!inChangelog && answer === undefined) continue;
    mismatches.push({
      mac,
      partition: partitionForKey(Buffer.from(mac), partitions),
      truth: expected.probeCount,
      answer,
      changelog: changelogCount,
      history: history.get(mac) ?? [],
    });
  }
  return { complete, changelogWrong, apiOnlyWrong, mismatches };
}
