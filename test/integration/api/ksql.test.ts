import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DeviceRecord, deviceSerde } from '../../../src/probes/schemas.js';
import { pcapValueOf } from '../../../src/probes/serdes.js';
import { runCli } from '../../support/cli.js';
import { uniqueName } from '../../support/kafka.js';
import { postKsql, postPushQuery } from '../../support/ksql-client.js';
import { startTestProbeApp, type TestProbeApp, uniqueProbeTopics } from '../../support/probe-app.js';
import { eventually, useStreamsTestContext } from '../../support/streams.js';

const TOKEN = 'ksql-token-5d2a';
/** 2020-04-22 15:05:40.123 in London (BST). */
const T0 = 1_587_564_340_123;
const PHONE = 'a4:83:e7:4e:39:15';
const DEVICES = 16;
const macOf = (i: number) => `f0:18:98:00:00:${i.toString(16).padStart(2, '0')}`;
const STATS_SCHEMA =
  '`PROBE_COUNT` BIGINT, `FIRST_PROBE` STRING, `LAST_PROBE` STRING, `UNIQUE_SSIDS_PROBED` BIGINT, `SSIDS_PROBED` ARRAY<STRING>';

const probe = (mac: string, ssid: string | null, timestamp: number) => ({
  key: null,
  value: JSON.stringify(pcapValueOf({ mac, ssid, timestamp, signalDbm: -61 })),
});

describe('the ksqlDB REST API of two instances, on the real broker', () => {
  const context = useStreamsTestContext();
  const topics = uniqueProbeTopics();
  const applicationId = uniqueName('ksql-app');
  let a: TestProbeApp;
  let b: TestProbeApp;

  beforeAll(async () => {
    const start = () =>
      startTestProbeApp(context.kafka, { topics, applicationId, partitions: 4, apiToken: TOKEN });
    [a, b] = [await start(), await start()];
    await eventually(
      () =>
        a.app.streams.isReady() &&
        b.app.streams.isReady() &&
        a.app.streams.metadataForAllStreamsClients().length === 2 &&
        b.app.streams.metadataForAllStreamsClients().length === 2,
      (ready) => ready,
    );
    const producer = context.kafka.producer();
    await producer.connect();
    const phone: DeviceRecord = {
      mac: PHONE,
      source: 'user',
      name: 'Kitchen iPad',
      ip: null,
      model: null,
      type: null,
      is_guest: false,
    };
    await producer.send({
      topic: topics.devices,
      messages: [{ key: PHONE, value: deviceSerde().serialize(phone) }],
    });
    await producer.send({
      topic: topics.pcap,
      messages: [
        probe(PHONE, 'Casa Vigo', T0),
        probe(PHONE, '', T0 + 60_000),
        ...Array.from({ length: DEVICES }, (_, i) =>
          probe(macOf(i), i % 4 === 0 ? 'Casa Vigo' : `net-${i}`, T0 + i),
        ),
      ],
    });
    await producer.disconnect();
    await eventually(
      async () =>
        (await fetch(`${a.url}/devices?limit=1000`).then((r) => r.json())) as { devices?: unknown[] },
      (body) => body.devices?.length === DEVICES + 1,
    );
    // Each instance reads the devices table on its own: wait until both name the phone. The phone's two
    // probes have no key, so they may go through different partitions: wait until both are counted too
    // (the listing above is full after the first).
    for (const instance of [a, b]) {
      await eventually(
        async () =>
          (await fetch(`${instance.url}/devices/${PHONE}/stats`).then((r) => r.json())) as {
            deviceName?: string;
            probeCount?: number;
          },
        (body) => body.deviceName === 'Kitchen iPad' && body.probeCount === 2,
      );
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.app.close(), b?.app.close()]);
  });

  it("runs the seed's pull query by key from either instance, with ksqlDB's header and row", async () => {
    const seed =
      "SELECT PROBE_COUNT, FIRST_PROBE, LAST_PROBE, UNIQUE_SSIDS_PROBED, SSIDS_PROBED FROM PCAP_STATS_01 WHERE ROWKEY = 'a4:83:e7:4e:39:15';";
    for (const instance of [a, b]) {
      const answer = await postKsql(instance.url, '/query', seed);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^application\/vnd\.ksql\.v1\+json(;|$)/);
      expect(answer.body).toEqual([
        { header: { queryId: expect.stringMatching(/^query_PCAP_STATS_01_\d+$/), schema: STATS_SCHEMA } },
        { row: { columns: [2, '2020-04-22 15:05:40', '2020-04-22 15:06:40', 2, ['', 'Casa Vigo']] } },
      ]);
    }
    const none = await postKsql(
      a.url,
      '/query',
      "SELECT * FROM PCAP_STATS_01 WHERE ROWKEY = '00:00:00:00:00:00';",
    );
    expect(none.body).toEqual([
      {
        header: {
          queryId: expect.any(String),
          schema: `\`ROWKEY\` STRING KEY, ${STATS_SCHEMA}`,
        },
      },
    ]);
  });

  it('answers "which devices probed Casa Vigo?" by scanning both instances', async () => {
    const expected = [PHONE, macOf(0), macOf(4), macOf(8), macOf(12)].sort().map((mac) => ({
      row: { columns: [mac, mac === PHONE ? 2 : 1] },
    }));
    for (const instance of [a, b]) {
      const answer = await postKsql(
        instance.url,
        '/query',
        "SELECT ROWKEY, PROBE_COUNT FROM PCAP_STATS_01 WHERE ARRAY_CONTAINS(SSIDS_PROBED, 'Casa Vigo');",
      );
      expect(answer.body.slice(1)).toEqual(expected);
    }
    // The same question on the REST listing, filtered and sorted across both instances.
    for (const instance of [a, b]) {
      const listed = await fetch(`${instance.url}/devices?ssid=${encodeURIComponent('Casa Vigo')}`).then(
        (r) => r.json(),
      );
      expect((listed as { devices: { mac: string }[] }).devices.map((d) => d.mac)).toEqual(
        [PHONE, macOf(0), macOf(4), macOf(8), macOf(12)].sort(),
      );
      const busiest = await fetch(`${instance.url}/devices?sort=probeCount&order=desc&limit=2`).then((r) =>
        r.json(),
      );
      expect(busiest).toMatchObject({
        devices: [{ mac: PHONE, deviceName: 'Kitchen iPad', probeCount: 2 }, { mac: macOf(0) }],
      });
    }
    const limited = await postKsql(
      b.url,
      '/query',
      "SELECT ROWKEY FROM PCAP_STATS_01 WHERE ARRAY_CONTAINS(SSIDS_PROBED, 'Casa Vigo') LIMIT 2;",
    );
    expect(limited.body).toHaveLength(3);
    // A statement longer than the API's usual body limit reaches every instance's part whole.
    const long = await postKsql(
      b.url,
      '/query',
      `SELECT ROWKEY, PROBE_COUNT FROM PCAP_STATS_01 WHERE ARRAY_CONTAINS(SSIDS_PROBED, 'Casa Vigo') AND ROWKEY <> '${'x'.repeat(40_000)}';`,
    );
    expect(long.status).toBe(200);
    expect(long.body.slice(1)).toEqual(expected);
    const byName = await eventually(
      () =>
        postKsql(
          a.url,
          '/query',
          "SELECT PROBE_COUNT, FIRST_PROBE FROM PCAP_STATS_ENRICHED_01 WHERE ROWKEY = 'Kitchen iPad';",
        ),
      // The by-name table follows the per-MAC one a commit later (its updates go downstream at commits).
      (answer) => JSON.stringify(answer.body[1]) === JSON.stringify({ row: { columns: [2, T0] } }),
    );
    expect(byName.body).toHaveLength(2);
  });

  it('lists and describes the catalogue on /ksql, as ksqlDB does', async () => {
    const answer = await postKsql(
      a.url,
      '/ksql',
      'SHOW TABLES; show streams; DESCRIBE PCAP_STATS_01; LIST QUERIES;',
    );
    expect(answer.status).toBe(200);
    const [tables, streams, description, queries] = answer.body;
    expect(tables).toMatchObject({ '@type': 'tables', statementText: 'SHOW TABLES;', warnings: [] });
    expect(tables.tables.map((t: { name: string }) => t.name)).toEqual([
      'PCAP_STATS_01',
      'PCAP_STATS_ENRICHED_01',
      'DEVICES',
      'SSID_ALERT_LIST',
    ]);
    expect(streams.streams).toEqual([
      {
        type: 'STREAM',
        name: 'PCAP_RAW',
        topic: topics.pcap,
        keyFormat: 'KAFKA',
        valueFormat: 'JSON',
        isWindowed: false,
      },
      {
        type: 'STREAM',
        name: 'PCAP_PROBE',
        topic: topics.pcap,
        keyFormat: 'KAFKA',
        valueFormat: 'JSON',
        isWindowed: false,
      },
    ]);
    expect(description['@type']).toBe('sourceDescription');
    expect(description.sourceDescription.fields.slice(0, 2)).toEqual([
      { name: 'ROWKEY', schema: { type: 'STRING', fields: null, memberSchema: null }, type: 'KEY' },
      { name: 'PROBE_COUNT', schema: { type: 'BIGINT', fields: null, memberSchema: null } },
    ]);
    expect(queries['@type']).toBe('queries');
    expect(queries.queries.length).toBeGreaterThanOrEqual(3);
    expect(queries.queries.every((q: { queryType: string }) => q.queryType === 'PERSISTENT')).toBe(true);

    const created = await postKsql(a.url, '/ksql', "CREATE STREAM X (A INT) WITH (KAFKA_TOPIC='x');");
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({ '@type': 'statement_error', error_code: 40001, entities: [] });
    expect(created.body.message).toMatch(/queries read the relations of the running topology/);
    // A statement sent to the other endpoint is told where it belongs.
    const selectOnKsql = await postKsql(a.url, '/ksql', 'SELECT * FROM PCAP_STATS_01;');
    expect(selectOnKsql.status).toBe(400);
    expect(selectOnKsql.body.message).toBe(
      'SELECT statements are run on /query, not /ksql: SELECT * FROM PCAP_STATS_01;',
    );
    const showOnQuery = await postKsql(a.url, '/query', 'SHOW TABLES;');
    expect(showOnQuery.status).toBe(400);
    expect(showOnQuery.body.message).toBe(
      'only SELECT statements are run on /query; send this one to /ksql: SHOW TABLES;',
    );
    const info = (await fetch(`${b.url}/info`).then((r) => r.json())) as {
      KsqlServerInfo: Record<string, string>;
    };
    expect(info.KsqlServerInfo).toMatchObject({
      version: '0.29.0',
      ksqlServiceId: applicationId,
      serverStatus: 'RUNNING',
    });
    expect(info.KsqlServerInfo.kafkaClusterId).not.toBe('');
    expect(await fetch(`${b.url}/healthcheck`).then((r) => r.json())).toMatchObject({ isHealthy: true });
  });

  it("streams the seed's push query line by line, as the bots read it, until LIMIT", async () => {
    const connection = await postPushQuery(
      b.url,
      "SELECT TIMESTAMPTOSTRING(ROWTIME,'yyyy-MM-dd HH:mm:ss','Europe/London') AS TS, WLAN_SA[1], WLAN_SSID[1] FROM PCAP_PROBE WHERE WLAN_SSID[1] = 'RNM0' EMIT CHANGES LIMIT 1;",
    );
    expect(connection.status).toBe(200);
    expect(connection.headers['transfer-encoding']).toBe('chunked');
    expect(await connection.next()).toEqual({
      header: {
        queryId: expect.stringMatching(/^transient_PCAP_PROBE_/),
        schema: '`TS` STRING, `KSQL_COL_0` STRING, `KSQL_COL_1` STRING',
      },
    });
    const producer = context.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.pcap,
      messages: [probe(macOf(1), 'elsewhere', T0), probe(macOf(2), 'RNM0', T0 + 5)],
    });
    await producer.disconnect();
    expect(await connection.next()).toEqual({ row: { columns: ['2020-04-22 15:05:40', macOf(2), 'RNM0'] } });
    expect(await connection.next()).toEqual({ finalMessage: 'Limit Reached' });
    await connection.ended;
    expect(connection.rawLines[0]?.startsWith('[{"header":')).toBe(true);
    expect(connection.rawLines.at(-1)).toBe('{"finalMessage":"Limit Reached"}]');
    expect(JSON.parse(connection.rawLines.join('\n'))).toHaveLength(3);
  });

  it('takes INSERT INTO SSID_ALERT_LIST with the token, and the seed alert join runs until the client goes', async () => {
    const insert = "INSERT INTO SSID_ALERT_LIST (ROWKEY, REASON) VALUES ('Evil''s AP', 'watched');";
    const refused = await postKsql(a.url, '/ksql', insert);
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ '@type': 'generic_error', error_code: 40100 });
    const inserted = await postKsql(a.url, '/ksql', insert, { authorization: `Bearer ${TOKEN}` });
    expect(inserted).toMatchObject({ status: 200, body: [] });
    const withoutColumns = await postKsql(
      a.url,
      '/ksql',
      "INSERT INTO SSID_ALERT_LIST VALUES ('RNM0', 'home network');",
      {
        authorization: `Bearer ${TOKEN}`,
      },
    );
    expect(withoutColumns.status).toBe(200);
    // A global table, followed by each instance on its own: both must have read the inserts.
    for (const instance of [a, b]) {
      await eventually(
        () =>
          postKsql(
            instance.url,
            '/query',
            "SELECT * FROM SSID_ALERT_LIST WHERE ROWKEY IN ('RNM0', 'Evil''s AP');",
          ),
        (answer) => answer.body.length === 3,
      );
    }

    const connection = await postPushQuery(
      a.url,
      "SELECT TIMESTAMPTOSTRING(P.ROWTIME,'yyyy-MM-dd HH:mm:ss','Europe/London') AS TS, P.WLAN_SA[1] AS MAC, P.WLAN_SSID[1] AS SSID, S.REASON AS REASON FROM PCAP_PROBE P INNER JOIN SSID_ALERT_LIST S ON P.WLAN_SSID[1] = S.ROWKEY EMIT CHANGES;",
    );
    expect((await connection.next()) as unknown).toMatchObject({
      header: { schema: '`TS` STRING, `MAC` STRING, `SSID` STRING, `REASON` STRING' },
    });
    expect(a.app.sql?.pushQueries).toBe(1);
    const producer = context.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: topics.pcap,
      messages: [
        probe(macOf(3), 'not watched', T0),
        probe(macOf(4), "Evil's AP", T0 + 1000),
        probe(macOf(5), 'RNM0', T0 + 2000),
      ],
    });
    await producer.disconnect();
    // Rows of different partitions come in no set order, as in ksqlDB.
    const rows = [await connection.next(), await connection.next()]
      .map((line) => JSON.stringify(line))
      .sort();
    expect(rows.map((line) => JSON.parse(line))).toEqual([
      { row: { columns: ['2020-04-22 15:05:41', macOf(4), "Evil's AP", 'watched'] } },
      { row: { columns: ['2020-04-22 15:05:42', macOf(5), 'RNM0', 'home network'] } },
    ]);
    connection.close();
    await eventually(
      () => a.app.sql?.pushQueries,
      (count) => count === 0,
    );
  });

  it('reads a stream from the earliest offset when asked', async () => {
    const connection = await postPushQuery(
      a.url,
      "SELECT WLAN_SA[1] AS MAC FROM PCAP_RAW WHERE WLAN_SA[1] = 'a4:83:e7:4e:39:15' EMIT CHANGES LIMIT 2;",
      { 'ksql.streams.auto.offset.reset': 'earliest' },
    );
    await connection.next();
    expect([await connection.next(), await connection.next()]).toEqual([
      { row: { columns: [PHONE] } },
      { row: { columns: [PHONE] } },
    ]);
    expect(await connection.next()).toEqual({ finalMessage: 'Limit Reached' });
  });

  it("pushes a table's changes as they are committed", async () => {
    const connection = await postPushQuery(
      b.url,
      `SELECT ROWKEY, PROBE_COUNT, LAST_PROBE FROM PCAP_STATS_01 WHERE ROWKEY = '${macOf(15)}' EMIT CHANGES LIMIT 1;`,
    );
    expect(await connection.next()).toMatchObject({
      header: { schema: '`ROWKEY` STRING, `PROBE_COUNT` BIGINT, `LAST_PROBE` STRING' },
    });
    const producer = context.kafka.producer();
    await producer.connect();
    await producer.send({ topic: topics.pcap, messages: [probe(macOf(15), 'net-15', T0 + 120_000)] });
    await producer.disconnect();
    expect(await connection.next()).toEqual({ row: { columns: [macOf(15), 2, '2020-04-22 15:07:40'] } });
    expect(await connection.next()).toEqual({ finalMessage: 'Limit Reached' });
  });

  it('answers hostile SQL with a 400 statement_error, never a 5xx, never a hang', async () => {
    const hostile = [
      "SELECT * FROM PCAP_STATS_01 WHERE ROWKEY = 'x",
      `SELECT * FROM PCAP_STATS_01 WHERE ROWKEY = '${'x'.repeat(1024 * 1024)}';`,
      `SELECT ${'('.repeat(5000)}1${')'.repeat(5000)} FROM PCAP_STATS_01;`,
      `SELECT * FROM PCAP_STATS_01 WHERE ${Array(3000).fill('PROBE_COUNT = 1').join(' OR ')};`,
      `SELECT ${'WLAN_SA'.padEnd(7)}${'[1]'.repeat(3000)} FROM PCAP_RAW EMIT CHANGES;`,
      'SELECT * FROM PCAP_STATS_01; DROP TABLE PCAP_STATS_01;',
      'SELECT * FROM `PCAP_STATS_01',
      'SELECT * FROM PCAP_RAW;',
      'SELECT NOPE FROM PCAP_STATS_01;',
      "SELECT * FROM PCAP_STATS_01 WHERE PROBE_COUNT = '1';",
      "SELECT TIMESTAMPTOSTRING(ROWTIME, 'yyyy', 'Not/AZone') FROM PCAP_STATS_01;",
      "SELECT TIMESTAMPTOSTRING(ROWTIME, 'QQQ') FROM PCAP_STATS_01;",
      'SELECT * FROM PCAP_STATS_01 LIMIT 99999999999;',
      '\u0000\u0001',
      '',
    ];
    for (const ksql of hostile) {
      const answer = await postKsql(b.url, '/query', ksql);
      expect({ ksql: ksql.slice(0, 60), status: answer.status }).toEqual({
        ksql: ksql.slice(0, 60),
        status: 400,
      });
      expect(answer.body).toMatchObject({ '@type': 'statement_error', error_code: 40001, entities: [] });
    }
    const unterminated = await postKsql(
      b.url,
      '/query',
      "SELECT ROWKEY\nFROM PCAP_STATS_01 WHERE ROWKEY = 'x",
    );
    expect(unterminated.body.message).toBe('line 2:35: string literal not terminated: a quote is missing');
    // A quote inside the literal stays in the literal: no row has this key.
    const injected = await postKsql(
      b.url,
      '/query',
      "SELECT * FROM PCAP_STATS_01 WHERE ROWKEY = 'x'' OR ''1''=''1';",
    );
    expect(injected.body).toHaveLength(1);
    const notJson = await fetch(`${b.url}/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"ksql": ',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ '@type': 'generic_error', error_code: 40000 });
    const notString = await fetch(`${b.url}/ksql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ksql: 42 }),
    });
    expect(notString.status).toBe(400);
  });

  it('probestream sql --execute draws a pull query as the ksql CLI does, and points at a parse error', async () => {
    const env = { PROBESTREAM_API_URL: b.url, HOME: undefined };
    const pulled = await runCli(
      [
        'sql',
        '--execute',
        "SELECT ROWKEY, PROBE_COUNT, SSIDS_PROBED FROM PCAP_STATS_01 WHERE ROWKEY = 'a4:83:e7:4e:39:15';",
      ],
      env,
    );
    expect(pulled).toMatchObject({ code: 0, stderr: '' });
    expect(pulled.stdout).toBe(
      [
        '+------------------+------------+--------------+',
        '|ROWKEY            |PROBE_COUNT |SSIDS_PROBED  |',
        '+------------------+------------+--------------+',
        '|a4:83:e7:4e:39:15 |2           |[, Casa Vigo] |',
        '+------------------+------------+--------------+',
        'Query terminated',
        '',
      ].join('\n'),
    );
    const wrong = await runCli(
      ['sql', '--execute', 'SELECT ROWKEY\nFROM PCAP_STATS_01 WHERE ROWKEY = ;'],
      env,
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe(
      "FROM PCAP_STATS_01 WHERE ROWKEY = ;\n                                  ^\nline 2:35: expected an expression but found ';'\n",
    );
  });

  it('probestream sql reads statements over several lines from its input, and SHOW TABLES draws a table', async () => {
    const shell = await runCli(
      ['sql'],
      { PROBESTREAM_API_URL: a.url, HOME: undefined },
      'SHOW\nTABLES;\nDESCRIBE SSID_ALERT_LIST;\nexit\n',
    );
    expect(shell.code).toBe(0);
    expect(shell.stdout).toContain(`|SSID_ALERT_LIST        |${topics.ssidAlertList}`);
    expect(shell.stdout).toContain('|ROWKEY |STRING  (key) |');
  });
});
