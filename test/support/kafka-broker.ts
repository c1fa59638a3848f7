// A real single-node Apache Kafka (KRaft: broker and controller in one JVM) for tests and
// benchmarks, on free loopback ports and in a fresh directory, from jars that Maven fetches once
// into a cache (~/.cache/spate/kafka-<version>/libs). A watchdog kills the broker and deletes its
// directory when the process that started it exits, however it exits.
import type { ChildProcess } from 'node:child_process';
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { freePort } from './redis-server.js';
import { watchdog } from './watchdog.js';

export const KAFKA_VERSION = '4.1.1';
const LOG4J_VERSION = '2.24.3';
const DEPENDENCY_PLUGIN = 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1';
const READY_LINE = 'Kafka Server started';
/** A generous bound: on two cores shared with other work a start has taken 17 s. */
const READY_WITHIN_MS = 180_000;
const JVM_OPTIONS = ['-Xms128m', '-Xmx512m', '-XX:+UseSerialGC', '-Djava.awt.headless=true'];
/** The quick compiler only: starts in about half the time on two busy cores, runs slower. */
const QUICK_START = '-XX:TieredStopAtLevel=1';

const run = promisify(execFile);

/** Where the broker's jars are cached (SPATE_CACHE_DIR or XDG_CACHE_HOME move it). */
export function kafkaCacheDir(): string {
  const base = process.env['SPATE_CACHE_DIR'] ?? join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'spate');
  return join(base, `kafka-${KAFKA_VERSION}`);
}

/**
 * The broker's classpath directory. Fetched once with Maven into a temporary directory beside the
 * cache and renamed into place, so a reader sees all jars or none and concurrent runs are safe.
 */
export async function kafkaJars(log: (line: string) => void = () => undefined): Promise<string> {
  const dir = kafkaCacheDir();
  const libs = join(dir, 'libs');
  if (existsSync(libs)) return libs;
  await requireCommand('mvn', 'Maven is needed once to fetch the Kafka broker\'s jars: apt-get install -y maven (or set KAFKA_BROKERS)');
  mkdirSync(dirname(dir), { recursive: true });
  const work = mkdtempSync(`${dir}.tmp-`);
  try {
    writeFileSync(join(work, 'pom.xml'), brokerPom());
    log(`fetching Apache Kafka ${KAFKA_VERSION} jars with Maven into ${dir}`);
    await run('mvn', [
      '-B', '-q', '-Dstyle.color=never', '-f', join(work, 'pom.xml'), `${DEPENDENCY_PLUGIN}:copy-dependencies`,
      '-DincludeScope=runtime', `-DoutputDirectory=${join(work, 'libs')}`,
    ], { maxBuffer: 16 << 20 }).catch((e: { stdout?: string; stderr?: string; message: string }) => {
      throw new Error(`Maven could not fetch the Kafka broker's jars: ${e.message}\n${(e.stdout ?? '') + (e.stderr ?? '')}`.slice(0, 4000));
    });
    rmSync(join(work, 'pom.xml'));
    try {
      renameSync(work, dir);
    } catch (e) {
      if (!existsSync(libs)) throw e; // another run put the same jars in place first
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return libs;
}

/** Start-up figures of one broker. */
export interface BrokerFigures {
  /** Formatting the metadata directory (a JVM run of StorageTool). */
  readonly formatMs: number;
  /** From launching the JVM to its "Kafka Server started" line. */
  readonly startMs: number;
  /** From then until the group and transaction coordinators answer (their topics created and loaded). */
  readonly coordinatorsMs: number;
}

export interface KafkaBrokerOptions {
  /** Start fast (tests, the default) or run fast (benchmarks: the JVM's full JIT). */
  readonly tuning?: 'start' | 'throughput';
  readonly log?: (line: string) => void;
}

export class KafkaBroker {
  private constructor(
    /** host:port to give kafkajs. */
    readonly bootstrap: string,
    readonly dir: string,
    private readonly child: ChildProcess,
    private readonly watchdog: ChildProcess,
    readonly figures: BrokerFigures,
  ) {}

  get pid(): number {
    return this.child.pid!;
  }

  get watchdogPid(): number {
    return this.watchdog.pid!;
  }

  /** Formats a fresh directory and starts a broker in it; resolves once it is ready. */
  static async start(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
    const log = options.log ?? (() => undefined);
    await requireCommand('java', 'Java 17 is needed to run the test Kafka broker: apt-get install -y openjdk-17-jre-headless (or set KAFKA_BROKERS)');
    const libs = await kafkaJars(log);
    for (let attempt = 1; ; attempt++) {
      try {
        const b = await launch(libs, options.tuning ?? 'start');
        return new KafkaBroker(b.bootstrap, b.dir, b.child, b.guard, b.figures);
      } catch (e) {
        // A port taken between choosing it and binding it: choose again.
        if (attempt < 3 && e instanceof PortTakenError) continue;
        throw e;
      }
    }
  }

  /** The broker's resident memory now and at its peak, in MB (from /proc). */
  memoryMb(): { rss: number; peak: number } | null {
    return processMemoryMb(this.pid);
  }

  /** Kills the broker (SIGKILL: nothing of it needs to survive) and deletes its directory. */
  async stop(): Promise<void> {
    killBroker({ pid: this.pid, watchdogPid: this.watchdogPid, dir: this.dir });
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.ref(); // unreferenced while it ran; waiting for its exit must keep us alive
      await new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What another process needs to stop a broker (global teardown runs apart from setup). */
export interface BrokerHandle {
  readonly pid: number;
  readonly watchdogPid: number;
  readonly dir: string;
}

export function killBroker(h: BrokerHandle): void {
  for (const pid of [h.watchdogPid, h.pid]) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  rmSync(h.dir, { recursive: true, force: true });
}

export function processMemoryMb(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
    return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return null;
  }
}

class PortTakenError extends Error {}

interface Launched {
  readonly bootstrap: string;
  readonly dir: string;
  readonly child: ChildProcess;
  readonly guard: ChildProcess;
  readonly figures: BrokerFigures;
}

async function launch(libs: string, tuning: 'start' | 'throughput'): Promise<Launched> {
  const dir = mkdtempSync(join(tmpdir(), 'spate-kafka-'));
  let started: { child: ChildProcess; guard: ChildProcess } | null = null;
  try {
    const [port, controllerPort] = [await freePort(), await freePort()];
    const properties = serverProperties(dir, port, controllerPort);
    writeFileSync(join(dir, 'server.properties'), Object.entries(properties).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    writeFileSync(join(dir, 'log4j2.properties'), LOG4J_PROPERTIES);
    const jvm = [...JVM_OPTIONS, ...(tuning === 'start' ? [QUICK_START] : []), `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`, '-cp', join(libs, '*')];

    const formatStart = performance.now();
    await run('java', [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', join(dir, 'server.properties')])
      .catch((e: { stdout?: string; stderr?: string; message: string }) => {
        throw new Error(`formatting the Kafka broker's directory failed: ${e.message}\n${(e.stdout ?? '') + (e.stderr ?? '')}`.slice(0, 4000));
      });
    const formatMs = performance.now() - formatStart;

    const logFile = join(dir, 'broker.log');
    const out = openSync(logFile, 'a');
    const launchedAt = performance.now();
    const child = spawn('java', [...jvm, 'kafka.Kafka', join(dir, 'server.properties')], { stdio: ['ignore', out, out] });
    closeSync(out);
    child.unref();
    const guard = watchdog(child.pid!, dir);
    started = { child, guard };

    await waitForReady(child, logFile, port);
    const startMs = performance.now() - launchedAt;
    const bootstrap = `127.0.0.1:${port}`;
    await startCoordinators(bootstrap);
    return { bootstrap, dir, child, guard, figures: { formatMs, startMs, coordinatorsMs: performance.now() - launchedAt - startMs } };
  } catch (e) {
    if (started) killBroker({ pid: started.child.pid!, watchdogPid: started.guard.pid!, dir });
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Creates and loads __consumer_offsets and __transaction_state now, so that no test meets a
 * coordinator that is still loading (kafkajs passes that error of JoinGroup on to the caller).
 */
async function startCoordinators(bootstrap: string): Promise<void> {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'spate-test-warmup', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ transactionalId: 'spate-test-warmup', maxInFlightRequests: 1 });
  await Promise.all([admin.connect(), producer.connect()]);
  try {
    await whileRetriable(() => admin.fetchOffsets({ groupId: 'spate-test-warmup', topics: [] }));
    await whileRetriable(async () => (await producer.transaction()).abort());
  } finally {
    await Promise.all([admin.disconnect(), producer.disconnect()]);
  }
}

/** Calls `fn` until it does not fail with a retriable Kafka error (a coordinator loading). */
async function whileRetriable(fn: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      await fn();
      return;
    } catch (e) {
      if (!(e as { retriable?: boolean }).retriable || Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Waits for the readiness line in the broker's log; fails if the broker exits first, or hangs. */
function waitForReady(child: ChildProcess, logFile: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const tail = (): string => readFileSync(logFile, 'utf8').slice(-3000);
    const deadline = Date.now() + READY_WITHIN_MS;
    const onExit = (code: number | null): void => {
      clearInterval(poll);
      const text = tail();
      if (/BindException|Address already in use/.test(text)) reject(new PortTakenError(`port ${port} was taken`));
      else reject(new Error(`the Kafka broker exited (code ${code}) before it was ready:\n${text}`));
    };
    // Polled, not watched: the line appears once, a few seconds after launch.
    const poll = setInterval(() => {
      const ready = readFileSync(logFile, 'utf8').includes(READY_LINE);
      if (!ready && Date.now() < deadline) return;
      clearInterval(poll);
      child.off('exit', onExit);
      if (ready) resolve();
      else reject(new Error(`the Kafka broker printed no "${READY_LINE}" within ${READY_WITHIN_MS / 1000} s:\n${tail()}`));
    }, 50);
    child.once('exit', onExit);
  });
}

function serverProperties(dir: string, port: number, controllerPort: number): Record<string, string | number> {
  return {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': join(dir, 'data'),
    // One node: the internal topics' defaults (3 replicas) would keep the coordinators down.
    'offsets.topic.replication.factor': 1,
    'offsets.topic.num.partitions': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    'group.min.session.timeout.ms': 1000,
    'num.partitions': 4,
    'num.network.threads': 2,
    'num.io.threads': 2,
    // The log cleaner's 128 MB default buffer is memory a short-lived test broker never needs.
    'log.cleaner.dedupe.buffer.size': 8 << 20,
  };
}

// Quiet, except for the readiness line.
const LOG4J_PROPERTIES = [
  'status = error',
  'appender.out.type = Console',
  'appender.out.name = out',
  'appender.out.layout.type = PatternLayout',
  'appender.out.layout.pattern = [%d] %p %m (%c)%n',
  'rootLogger.level = WARN',
  'rootLogger.appenderRef.out.ref = out',
  'logger.ready.name = kafka.server.KafkaRaftServer',
  'logger.ready.level = INFO',
  '',
].join('\n');

function brokerPom(): string {
  const dep = (g: string, a: string, v: string): string =>
    `    <dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`;
  return [
    '<project xmlns="http://maven.apache.org/POM/4.0.0">',
    '  <modelVersion>4.0.0</modelVersion>',
    '  <groupId>dev.spate</groupId><artifactId>kafka-test-broker</artifactId><version>1</version><packaging>pom</packaging>',
    '  <dependencies>',
    dep('org.apache.kafka', 'kafka_2.13', KAFKA_VERSION),
    // Kafka's published POM leaves the logging backend out.
    dep('org.apache.logging.log4j', 'log4j-api', LOG4J_VERSION),
    dep('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION),
    dep('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J_VERSION),
    '  </dependencies>',
    '</project>',
    '',
  ].join('\n');
}

/** A random cluster id as Kafka writes them: 16 bytes, URL-safe base64, never starting with '-'. */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function requireCommand(cmd: string, hint: string): Promise<void> {
  await run('sh', ['-c', `command -v ${cmd}`]).catch(() => { throw new Error(hint); });
}
