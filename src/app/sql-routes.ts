import type { FastifyInstance } from 'fastify';
import type { Kafka } from 'kafkajs';
import type { AlertListWriter } from '../api/alert-list-writer.js';
import { RoutedRelationData } from '../api/ksql/routed-relation-data.js';
import { registerKsqlRoutes } from '../api/ksql/routes.js';
import { registerInternalScanRoute, ScatterScan, type ScatterScanOptions } from '../api/ksql/scatter-scan.js';
import { MAX_SSID_BYTES } from '../api/routes/ssid-alerts.js';
import type { KeyRouter } from '../api/routing.js';
import type { ProbeTopics } from '../probes/schemas.js';
import { SqlEngine, SqlError, type SqlLimits } from '../query/index.js';
import type { RelationRow, Topology } from '../topology/index.js';
import { probeRelations } from './probe-relations.js';

export interface ProbeSqlRoutesOptions {
  readonly kafka: Kafka;
  readonly router: KeyRouter;
  /** This instance's engine, its application.server and readiness: scans run where the data lives. */
  readonly scatter: ScatterScanOptions;
  readonly topology: Topology;
  readonly topics: ProbeTopics;
  readonly applicationId: string;
  readonly alertList: AlertListWriter;
  readonly apiToken?: string | undefined;
  readonly isReady: () => boolean;
  /** How PCAP_STATS_01 shows times. Default Europe/London. */
  readonly timeZone?: string | undefined;
  readonly limits?: Partial<SqlLimits>;
}

/**
 * The ksqlDB-compatible endpoints over the probe application's relations (relations.ts): its SQL engine,
 * reading stores through the router and topics from this instance, and taking INSERTs into SSID_ALERT_LIST
 * as `PUT /ssid-alerts/:ssid` takes them.
 */
export async function registerProbeSqlRoutes(
  app: FastifyInstance,
  options: ProbeSqlRoutesOptions,
): Promise<SqlEngine> {
  const catalog = probeRelations({
    topology: options.topology,
    topics: options.topics,
    applicationId: options.applicationId,
    ...(options.timeZone === undefined ? {} : { timeZone: options.timeZone }),
  });
  const scan = new ScatterScan(options.scatter);
  const data = new RoutedRelationData({
    router: options.router,
    scatter: scan,
    kafka: options.kafka,
    writers: { SSID_ALERT_LIST: (row) => insertAlert(options.alertList, row) },
  });
  const engine = new SqlEngine({ catalog, data, ...(options.limits ? { limits: options.limits } : {}) });
  registerInternalScanRoute(app, { engine, scan });
  let clusterId: Promise<string | undefined> | undefined;
  await registerKsqlRoutes(app, {
    engine,
    apiToken: options.apiToken,
    isReady: options.isReady,
    serviceId: options.applicationId,
    kafkaClusterId: () => {
      clusterId ??= describeClusterId(options.kafka).catch(() => {
        clusterId = undefined;
        return undefined;
      });
      return clusterId;
    },
  });
  return engine;
}

async function insertAlert(alertList: AlertListWriter, row: RelationRow): Promise<void> {
  const ssid = row.key ?? '';
  const bytes = Buffer.byteLength(ssid, 'utf8');
  if (bytes === 0 || bytes > MAX_SSID_BYTES) {
    throw new SqlError('SQL_TYPE_ERROR', `ROWKEY is an SSID: 1 to ${MAX_SSID_BYTES} bytes of UTF-8`);
  }
  const reason = row.columns.REASON;
  if (typeof reason !== 'string' || reason.length === 0 || reason.length > 500) {
    throw new SqlError('SQL_TYPE_ERROR', 'REASON is 1 to 500 characters');
  }
  await alertList.put(ssid, reason);
}

async function describeClusterId(kafka: Kafka): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return (await admin.describeCluster()).clusterId;
  } finally {
    await admin.disconnect();
  }
}
