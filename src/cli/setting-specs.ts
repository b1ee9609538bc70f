/**
 * Every setting of `probestream`, beside its environment variable, flag, default and doc: the README's
 * settings table. A command names the settings it uses; `loadSettings` reads flag, then environment, then
 * default, validates each once and returns a frozen object.
 */

export type SettingKind = 'string' | 'integer' | 'duration' | 'boolean' | 'list' | 'secret' | 'url';

export interface SettingSpec {
  readonly env?: string;
  /** The long flag, without `--`. */
  readonly flag?: string;
  readonly kind: SettingKind;
  /** The default as text (as it would be written in the environment); undefined: unset. */
  readonly default?: string;
  readonly doc: string;
  readonly choices?: readonly string[];
  readonly min?: number;
  readonly max?: number;
}

export const SETTINGS = {
  logLevel: {
    env: 'LOG_LEVEL',
    flag: 'log-level',
    kind: 'string',
    choices: ['debug', 'info', 'warn', 'error', 'silent'],
    doc: "The least severe log entries written to stderr: debug (kafkajs's too), info, warn, error or silent. Default: info; debug when PROBESTREAM_DEBUG is set, silent when PROBESTREAM_LOG=silent.",
  },
  logFormat: {
    env: 'LOG_FORMAT',
    flag: 'log-format',
    kind: 'string',
    default: 'text',
    choices: ['text', 'json'],
    doc: 'Log lines as text (`[probestream] …`) or as one JSON object a line (time, level, namespace, message, fields).',
  },
  brokers: {
    env: 'KAFKA_BROKERS',
    flag: 'brokers',
    kind: 'list',
    default: 'localhost:9092',
    doc: 'Kafka bootstrap servers, comma-separated host:port.',
  },
  kafkaSaslMechanism: {
    env: 'KAFKA_SASL_MECHANISM',
    kind: 'string',
    choices: ['plain', 'scram-sha-256', 'scram-sha-512'],
    doc: 'SASL mechanism for a managed Kafka (with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD). Default: no SASL.',
  },
  kafkaSaslUsername: { env: 'KAFKA_SASL_USERNAME', kind: 'string', doc: 'SASL user name.' },
  kafkaSaslPassword: { env: 'KAFKA_SASL_PASSWORD', kind: 'secret', doc: 'SASL password. Never logged.' },
  kafkaSsl: { env: 'KAFKA_SSL', kind: 'boolean', default: 'false', doc: 'Connect to Kafka over TLS.' },
  applicationId: {
    env: 'APPLICATION_ID',
    flag: 'application-id',
    kind: 'string',
    default: 'probestream',
    doc: 'The consumer group, and the prefix of internal topics.',
  },
  applicationServer: {
    env: 'APPLICATION_SERVER',
    flag: 'application-server',
    kind: 'string',
    doc: 'host:port other instances use to reach this one. Default: 127.0.0.1:<port>.',
  },
  stateDir: {
    env: 'STATE_DIR',
    flag: 'state-dir',
    kind: 'string',
    default: './state',
    doc: 'Folder of the local stores.',
  },
  port: {
    env: 'API_PORT',
    flag: 'port',
    kind: 'integer',
    default: '8080',
    min: 0,
    max: 65535,
    doc: 'HTTP port of the API (0: any free port).',
  },
  apiToken: {
    env: 'API_TOKEN',
    kind: 'secret',
    doc: 'Bearer token for the write routes. Default: writes open.',
  },
  processingGuarantee: {
    env: 'PROCESSING_GUARANTEE',
    flag: 'processing-guarantee',
    kind: 'string',
    default: 'at_least_once',
    choices: ['at_least_once', 'exactly_once'],
    doc: 'at_least_once, or exactly_once (Kafka transactions).',
  },
  commitIntervalMs: {
    env: 'COMMIT_INTERVAL_MS',
    flag: 'commit-interval-ms',
    kind: 'integer',
    default: '1000',
    min: 1,
    max: 3_600_000,
    doc: 'How often progress is committed, in ms.',
  },
  numStandbyReplicas: {
    env: 'NUM_STANDBY_REPLICAS',
    flag: 'num-standby-replicas',
    kind: 'integer',
    default: '0',
    min: 0,
    max: 3,
    doc: 'Warm copies of each store on other instances.',
  },
  sessionTimeoutMs: {
    env: 'SESSION_TIMEOUT_MS',
    flag: 'session-timeout-ms',
    kind: 'integer',
    default: '10000',
    min: 6000,
    max: 300_000,
    doc: "How long the group waits for a silent instance before its tasks move: a killed instance's partitions move after about this long.",
  },
  startupTimeout: {
    env: 'STARTUP_TIMEOUT',
    flag: 'startup-timeout',
    kind: 'integer',
    default: '300',
    min: 0,
    max: 86_400,
    doc: 'Seconds `start` waits out an unreachable broker or its passing states (a new topic without a leader, a loading coordinator) before it gives up.',
  },
  deserializationExceptionHandler: {
    env: 'DESERIALIZATION_EXCEPTION_HANDLER',
    flag: 'deserialization-exception-handler',
    kind: 'string',
    default: 'dlq',
    choices: ['dlq', 'fail'],
    doc: 'A record that cannot be read: to `<application-id>-dlq` with its reason, and on (dlq), or stop (fail).',
  },
  processingExceptionHandler: {
    env: 'PROCESSING_EXCEPTION_HANDLER',
    flag: 'processing-exception-handler',
    kind: 'string',
    default: 'dlq',
    choices: ['dlq', 'fail'],
    doc: 'A record the topology throws on: to the DLQ with its reason, and on (dlq), or stop (fail).',
  },
  productionExceptionHandler: {
    env: 'PRODUCTION_EXCEPTION_HANDLER',
    flag: 'production-exception-handler',
    kind: 'string',
    default: 'dlq',
    choices: ['dlq', 'fail'],
    doc: 'A record too large for the topic it goes to: to the DLQ cut to fit, and on (dlq), or stop (fail).',
  },
  maxRequestBytes: {
    env: 'MAX_REQUEST_BYTES',
    flag: 'max-request-bytes',
    kind: 'integer',
    default: '1048576',
    min: 1024,
    max: 104_857_600,
    doc: "Bytes per produce request and largest record written; each topic's max.message.bytes bounds it too.",
  },
  producerClient: {
    env: 'PRODUCER_CLIENT',
    flag: 'producer-client',
    kind: 'string',
    default: 'kafkajs',
    choices: ['kafkajs', 'native'],
    doc: "The engine's producer: kafkajs's, or native (its own record batches; less CPU per record).",
  },
  maxPcapRecordBytes: {
    env: 'MAX_PCAP_RECORD_BYTES',
    flag: 'max-pcap-record-bytes',
    kind: 'integer',
    default: '65536',
    min: 1024,
    max: 104_857_600,
    doc: 'A `pcap` record larger than this goes to the DLQ unread.',
  },
  alertWindow: {
    env: 'ALERT_SUPPRESS_WINDOW',
    flag: 'alert-window',
    kind: 'duration',
    default: '15m',
    max: 7 * 86_400_000,
    doc: 'At most one alert per MAC and SSID per window of event time (0, 90s, 15m, 1h, 1d); 0: an alert for every probe. Each alert says how many probes the previous window kept quiet.',
  },
  mongodbUrl: {
    env: 'MONGODB_URL',
    flag: 'mongodb-url',
    kind: 'url',
    doc: 'MongoDB of the UniFi controller (database ace). Default: unset, no CDC.',
  },
  timezone: {
    env: 'TIMEZONE',
    flag: 'timezone',
    kind: 'string',
    default: 'Europe/London',
    doc: 'How times are shown to people (an IANA time zone).',
  },
  apiUrl: {
    env: 'PROBESTREAM_API_URL',
    flag: 'api',
    kind: 'url',
    default: 'http://127.0.0.1:8080',
    doc: 'Where `query`, `sql` and a standalone bot find the API.',
  },
  sqlExecute: {
    env: 'SQL_EXECUTE',
    flag: 'execute',
    kind: 'string',
    doc: '`sql`: run this one statement and exit, rather than open the shell.',
  },
  sqlOffsetReset: {
    env: 'SQL_OFFSET_RESET',
    flag: 'offset-reset',
    kind: 'string',
    choices: ['latest', 'earliest'],
    default: 'latest',
    doc: "`sql`: where push queries start (ksqlDB's ksql.streams.auto.offset.reset).",
  },
  telegramBotToken: {
    env: 'TELEGRAM_BOT_TOKEN',
    kind: 'secret',
    doc: 'The bot token from BotFather. Set: the bot runs (inside start, or with `bot`). Never logged.',
  },
  telegramApiRoot: {
    env: 'TELEGRAM_API_ROOT',
    kind: 'url',
    doc: "A self-hosted Bot API server. Default: Telegram's.",
  },
  telegramAllowedChatIds: {
    env: 'TELEGRAM_ALLOWED_CHAT_IDS',
    kind: 'string',
    doc: 'Chat ids the bot answers, comma-separated. Default: empty, it answers no one.',
  },
  telegramAlertChatIds: {
    env: 'TELEGRAM_ALERT_CHAT_IDS',
    kind: 'string',
    doc: 'Chat ids that receive alerts, comma-separated. Default: empty, no alerts are sent.',
  },
  telegramWebhookUrl: {
    env: 'TELEGRAM_WEBHOOK_URL',
    kind: 'url',
    doc: 'Public HTTPS URL Telegram posts updates to. Default: unset, long polling.',
  },
  telegramWebhookSecret: {
    env: 'TELEGRAM_WEBHOOK_SECRET',
    kind: 'secret',
    doc: 'Checked against X-Telegram-Bot-Api-Secret-Token on every webhook call.',
  },
  telegramWebhookPort: {
    env: 'TELEGRAM_WEBHOOK_PORT',
    kind: 'integer',
    min: 1,
    max: 65535,
    doc: "Local port of the webhook server. Default: the webhook URL's port, else 8443.",
  },
  botMetricsPort: {
    env: 'BOT_METRICS_PORT',
    flag: 'metrics-port',
    kind: 'integer',
    default: '9464',
    min: 0,
    max: 65535,
    doc: '`bot`: port of its `GET /metrics` (the `probestream_bot_*` counters) on every interface, for Prometheus (0: any free port). Inside `start` the API serves them.',
  },
  topic: {
    env: 'PCAP_TOPIC',
    flag: 'topic',
    kind: 'string',
    default: 'pcap',
    doc: 'The topic captured frames are written to.',
  },
  partitions: {
    env: 'TOPIC_PARTITIONS',
    flag: 'partitions',
    kind: 'integer',
    default: '6',
    min: 1,
    max: 1000,
    doc: 'Partitions of the topics probestream creates when they are missing (pcap, devices, ssid_alert_list, alerts).',
  },
  interface: {
    env: 'CAPTURE_INTERFACE',
    flag: 'interface',
    kind: 'string',
    doc: 'Wi-Fi interface in monitor mode for `capture`.',
  },
  monitorMode: {
    env: 'CAPTURE_MONITOR_MODE',
    flag: 'monitor-mode',
    kind: 'boolean',
    default: 'false',
    doc: 'Ask tshark to put the interface in monitor mode (-I), when it is not already.',
  },
  captureFilter: {
    env: 'CAPTURE_FILTER',
    flag: 'capture-filter',
    kind: 'string',
    doc: 'A BPF capture filter for tshark, e.g. "type mgt subtype probe-req". Default: every frame.',
  },
  speed: {
    env: 'REPLAY_SPEED',
    flag: 'speed',
    kind: 'string',
    default: 'max',
    doc: '`max` (as fast as Kafka takes them) or a factor of capture speed (1 = as captured).',
  },
  loop: {
    env: 'REPLAY_LOOP',
    flag: 'loop',
    kind: 'boolean',
    default: 'false',
    doc: 'Replay the file again and again, with timestamps moved to the present (stop with Ctrl-C).',
  },
} as const satisfies Record<string, SettingSpec>;
