// `kafka.*` options (Kafka's own configuration names, as Spark passes them to its clients) turned
// into a kafkajs client configuration, and the options Spark refuses, refused with its messages.
import { readFileSync } from 'node:fs';
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import kafkajs from 'kafkajs';
import { AnalysisError } from '../../errors.js';
import { registerSecret } from '../../secrets.js';
import { stringOption } from '../contract.js';

type Options = Readonly<Record<string, string>>;

/** The `kafka.*` client settings kafkaConfig() reads, and logLevel: every other `kafka.*` name has no effect. */
const CLIENT_OPTIONS = [
  'kafka.bootstrap.servers', 'kafka.client.id', 'kafka.security.protocol', 'kafka.sasl.mechanism', 'kafka.sasl.jaas.config',
  'kafka.sasl.username', 'kafka.sasl.password', 'kafka.ssl.ca.location', 'kafka.ssl.certificate.location', 'kafka.ssl.key.location',
  'kafka.ssl.endpoint.identification.algorithm', 'kafka.request.timeout.ms', 'kafka.socket.connection.setup.timeout.ms', 'logLevel',
];

/** Every option the Kafka source reads (source-options.ts), with the client's. */
export const KAFKA_SOURCE_OPTIONS = [
  'subscribe', 'subscribePattern', 'assign', 'startingOffsets', 'endingOffsets', 'maxOffsetsPerTrigger', 'minOffsetsPerTrigger',
  'maxTriggerDelay', 'failOnDataLoss', 'includeHeaders', 'kafka.isolation.level', 'kafka.max.partition.fetch.bytes', 'startingBatchLimit',
  ...CLIENT_OPTIONS,
];

/** Every option the Kafka sink reads (provider.ts, kafka-sink.ts), with the client's. */
export const KAFKA_SINK_OPTIONS = [
  'topic', 'transactional', 'maxInFlightSends', 'producerBatchMessages', 'kafka.acks', 'kafka.compression.type',
  'kafka.transaction.timeout.ms', 'kafka.transactional.id', ...CLIENT_OPTIONS,
];

const LOG_LEVELS: Readonly<Record<string, kafkajs.logLevel>> = {
  nothing: kafkajs.logLevel.NOTHING, error: kafkajs.logLevel.ERROR, warn: kafkajs.logLevel.WARN,
  info: kafkajs.logLevel.INFO, debug: kafkajs.logLevel.DEBUG,
};

const NOT_SUPPORTED_SOURCE: Readonly<Record<string, string>> = {
  'kafka.auto.offset.reset':
    "Kafka option 'auto.offset.reset' is not supported. Instead set the source option 'startingoffsets' to 'earliest' or 'latest' " +
    'to specify where to start. Structured Streaming manages which offsets are consumed internally, rather than relying on the ' +
    "kafkaConsumer to do it. Note that 'startingoffsets' only applies when a new Streaming query is started, and that resuming " +
    'will always pick up from where the query left off.',
  'kafka.key.deserializer':
    "Kafka option 'key.deserializer' is not supported as keys are deserialized as byte arrays with ByteArrayDeserializer. " +
    'Use DataFrame operations to explicitly deserialize the keys.',
  'kafka.value.deserializer':
    "Kafka option 'value.deserializer' is not supported as values are deserialized as byte arrays with ByteArrayDeserializer. " +
    'Use DataFrame operations to explicitly deserialize the values.',
  'kafka.enable.auto.commit': "Kafka option 'enable.auto.commit' is not supported",
  'kafka.interceptor.classes': "Kafka option 'interceptor.classes' is not supported",
};

const NOT_SUPPORTED_SINK: Readonly<Record<string, string>> = {
  'kafka.key.serializer':
    "Kafka option 'key.serializer' is not supported as keys are serialized with ByteArraySerializer. " +
    'Use DataFrame operations to explicitly serialize the keys into either strings or byte arrays.',
  'kafka.value.serializer':
    "Kafka option 'value.serializer' is not supported as values are serialized with ByteArraySerializer. " +
    'Use DataFrame operations to explicitly serialize the values into either strings or byte arrays.',
  'kafka.interceptor.classes': "Kafka option 'interceptor.classes' is not supported",
};

export function checkSourceOptions(o: Options): void {
  for (const [k, msg] of Object.entries(NOT_SUPPORTED_SOURCE)) if (o[k] !== undefined) throw new AnalysisError(msg);
  if (o['kafka.bootstrap.servers'] === undefined) {
    throw new AnalysisError("Option 'kafka.bootstrap.servers' must be specified for configuring Kafka consumer");
  }
}

export function checkSinkOptions(o: Options): void {
  for (const [k, msg] of Object.entries(NOT_SUPPORTED_SINK)) if (o[k] !== undefined) throw new AnalysisError(msg);
  if (o['kafka.bootstrap.servers'] === undefined) {
    throw new AnalysisError("Option 'kafka.bootstrap.servers' must be specified for configuring Kafka producer");
  }
}

/** Reads user="…" and password="…" out of a JAAS line, as Kafka's login modules write them. */
function jaasCredentials(jaas: string): { username: string; password: string } | null {
  const user = /username\s*=\s*"([^"]*)"/.exec(jaas);
  const pass = /password\s*=\s*"([^"]*)"/.exec(jaas);
  return user && pass ? { username: user[1]!, password: pass[1]! } : null;
}

function sasl(o: Options): SASLOptions | undefined {
  const protocol = (o['kafka.security.protocol'] ?? 'PLAINTEXT').toUpperCase();
  if (!protocol.startsWith('SASL_')) return undefined;
  const mechanism = (o['kafka.sasl.mechanism'] ?? 'PLAIN').toUpperCase();
  const creds = o['kafka.sasl.jaas.config'] ? jaasCredentials(o['kafka.sasl.jaas.config']) :
    o['kafka.sasl.username'] !== undefined ? { username: o['kafka.sasl.username'], password: o['kafka.sasl.password'] ?? '' } : null;
  registerSecret(creds?.password);
  if (!creds) {
    throw new AnalysisError(`security.protocol ${protocol} needs credentials: set kafka.sasl.jaas.config (username="…" password="…") or kafka.sasl.username and kafka.sasl.password`);
  }
  switch (mechanism) {
    case 'PLAIN': return { mechanism: 'plain', ...creds };
    case 'SCRAM-SHA-256': return { mechanism: 'scram-sha-256', ...creds };
    case 'SCRAM-SHA-512': return { mechanism: 'scram-sha-512', ...creds };
    default: throw new AnalysisError(`kafka.sasl.mechanism ${mechanism} is not supported: use PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512`);
  }
}

function ssl(o: Options): KafkaConfig['ssl'] {
  const protocol = (o['kafka.security.protocol'] ?? 'PLAINTEXT').toUpperCase();
  if (!['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'].includes(protocol)) {
    throw new AnalysisError(`kafka.security.protocol must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL, got '${protocol}'`);
  }
  if (protocol !== 'SSL' && protocol !== 'SASL_SSL') return undefined;
  const file = (key: string): string | undefined => (o[key] ? readFileSync(o[key]!, 'utf8') : undefined);
  const ca = file('kafka.ssl.ca.location');
  const cert = file('kafka.ssl.certificate.location');
  const key = file('kafka.ssl.key.location');
  const noHostCheck = o['kafka.ssl.endpoint.identification.algorithm'] === '';
  if (!ca && !cert && !key && !noHostCheck) return true;
  return {
    ...(ca ? { ca: [ca] } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}),
    ...(noHostCheck ? { checkServerIdentity: () => undefined } : {}),
  };
}

const int = (o: Options, key: string): number | undefined => {
  const v = o[key];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new AnalysisError(`option ${key} must be a non-negative integer, got '${v}'`);
  return n;
};

/** The kafkajs client configuration for these options. */
export function kafkaConfig(o: Options, defaultClientId: string): KafkaConfig {
  const brokers = (o['kafka.bootstrap.servers'] ?? '').split(',').map((b) => b.trim()).filter((b) => b !== '');
  const level = (stringOption(o, 'logLevel') ?? 'nothing').toLowerCase();
  if (!(level in LOG_LEVELS)) throw new AnalysisError(`option logLevel must be nothing, error, warn, info or debug, got '${level}'`);
  const requestTimeout = int(o, 'kafka.request.timeout.ms');
  const connectionTimeout = int(o, 'kafka.socket.connection.setup.timeout.ms');
  const s = sasl(o);
  const t = ssl(o);
  return {
    brokers,
    clientId: o['kafka.client.id'] ?? defaultClientId,
    logLevel: LOG_LEVELS[level]!,
    ...(requestTimeout !== undefined ? { requestTimeout } : {}),
    ...(connectionTimeout !== undefined ? { connectionTimeout } : {}),
    ...(s ? { sasl: s } : {}),
    ...(t ? { ssl: t } : {}),
  };
}
