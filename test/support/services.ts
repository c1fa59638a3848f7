// The servers a test run uses, started once by jest's global setup on loopback: a redis-server
// on a free port and, when the run has Kafka tests, a real single-node Apache Kafka
// (kafka-broker.ts). Whatever a fresh machine of the project's kind lacks is installed first
// (Debian packages, as root: redis-server, Java, Maven, Chromium) or fetched (the broker's jars,
// through Maven, cached; helm, built once from the Go module proxy). REDIS_URL or
// KAFKA_BROKERS set beforehand point the suite at other servers instead.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { BrokerHandle } from './kafka-broker.js';
import { KAFKA_VERSION, KafkaBroker, kafkaCacheDir, killBroker, processMemoryMb } from './kafka-broker.js';
import { freePort, redisReady } from './redis-server.js';
import { watchdog } from './watchdog.js';

/** The part of jest's global configuration that says which tests run. */
export interface RunConfig {
  readonly rootDir: string;
  readonly onlyChanged: boolean;
  readonly findRelatedTests: boolean;
  readonly testPathPatterns: { isSet(): boolean; toExecutor(o: { rootDir: string }): { isMatch(path: string): boolean } };
}

interface State {
  redis?: { pid: number; watchdogPid: number };
  kafka?: BrokerHandle;
}

const HELM_VERSION = 'v4.3.2';

const say = (line: string): void => { process.stdout.write(`${line}\n`); };

export async function startServices(globalConfig: RunConfig): Promise<void> {
  const state: State = {};
  const file = join(tmpdir(), `spate-test-services-${process.pid}.json`);
  process.env['SPATE_TEST_SERVICES_FILE'] = file;
  const save = (): void => writeFileSync(file, JSON.stringify(state));
  if (!process.env['REDIS_URL']) {
    const bin = installedOrInstall('redis-server', 'redis-server');
    const port = await freePort();
    const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore', detached: true });
    child.unref();
    state.redis = { pid: child.pid!, watchdogPid: watchdog(child.pid!).pid! };
    save();
    await redisReady(port);
    process.env['REDIS_URL'] = `redis://127.0.0.1:${port}`;
    process.env['SPATE_TEST_REDIS_SERVER'] = bin;
  }
  // The daemon's live page is tested in headless Chromium, the Helm chart with helm itself.
  if (!process.env['SPATE_CHROMIUM'] && runUses(globalConfig, /playwright-core/)) installedOrInstall('chromium', 'chromium');
  if (!process.env['HELM'] && runUses(globalConfig, /findHelm/)) process.env['HELM'] = helmOrInstall();
  if (!process.env['KAFKA_BROKERS'] && runUses(globalConfig, /support\/kafka/)) {
    installedOrInstall('java', 'openjdk-17-jre-headless');
    if (!existsSync(kafkaCacheDir())) installedOrInstall('mvn', 'maven'); // fetches the broker's jars once
    const broker = await KafkaBroker.start({ log: say });
    state.kafka = { pid: broker.pid, watchdogPid: broker.watchdogPid, dir: broker.dir };
    save();
    process.env['KAFKA_BROKERS'] = broker.bootstrap;
    const { formatMs, startMs, coordinatorsMs } = broker.figures;
    const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    say(`Kafka ${KAFKA_VERSION} at ${broker.bootstrap}: formatted in ${s(formatMs)}, started in ${s(startMs)}, ` +
      `coordinators up ${s(coordinatorsMs)} later, ${broker.memoryMb()?.rss ?? '?'} MB resident`);
  }
  save();
}

export function stopServices(): void {
  const file = process.env['SPATE_TEST_SERVICES_FILE'];
  if (!file) return;
  let state: State;
  try {
    state = JSON.parse(readFileSync(file, 'utf8')) as State;
  } catch {
    return;
  }
  if (state.kafka) {
    const mem = processMemoryMb(state.kafka.pid);
    if (mem) say(`Kafka broker: ${mem.rss} MB resident at the end, ${mem.peak} MB at its peak`);
    killBroker(state.kafka);
  }
  if (state.redis) {
    for (const pid of [state.redis.watchdogPid, state.redis.pid]) {
      try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }
  rmSync(file, { force: true });
}

/**
 * Whether the tests of this run need a service: always for a whole run; for a run narrowed to
 * some test paths, when one of the chosen files' text matches `uses` (e.g. imports its support).
 */
function runUses(globalConfig: RunConfig, uses: RegExp): boolean {
  const patterns = globalConfig.testPathPatterns;
  if (!patterns.isSet() || globalConfig.onlyChanged || globalConfig.findRelatedTests) return true;
  const rootDir = globalConfig.rootDir;
  const chosen = patterns.toExecutor({ rootDir });
  const testRoot = join(rootDir, 'test');
  return testFiles(testRoot).some((f) => chosen.isMatch(f) && uses.test(readFileSync(f, 'utf8')));
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => !relative(dir, f).startsWith('..'));
}

/** The command's path; installs the Debian package that has it when missing (needs root). */
function installedOrInstall(command: string, debianPackage: string): string {
  const found = which(command);
  if (found) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(`${command} is not installed: run \`sudo apt-get install -y ${debianPackage}\` and the tests again`);
  }
  say(`installing ${debianPackage} (apt-get)`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): void => { execFileSync('apt-get', ['install', '-y', '--no-install-recommends', debianPackage], { env, stdio: 'ignore' }); };
  try {
    install();
  } catch {
    execFileSync('apt-get', ['update'], { env, stdio: 'ignore' });
    install();
  }
  const installed = which(command);
  if (!installed) throw new Error(`apt-get installed ${debianPackage} but ${command} is still not on the PATH`);
  return installed;
}

/** helm on the PATH or in Go's bin folder; else built once with `go install` from the Go module proxy. */
function helmOrInstall(): string {
  const gobin = join(process.env['GOPATH'] ?? join(homedir(), 'go'), 'bin', 'helm');
  const found = which('helm') ?? (existsSync(gobin) ? gobin : null);
  if (found) return found;
  if (!which('go')) throw new Error('helm is not installed and there is no Go to build it: install helm, or set HELM');
  say(`installing helm ${HELM_VERSION} (go install, once; a few minutes)`);
  execFileSync('go', ['install', `helm.sh/helm/v4/cmd/helm@${HELM_VERSION}`], { stdio: 'ignore' });
  return gobin;
}

function which(command: string): string | null {
  try {
    return execFileSync('sh', ['-c', `command -v ${command}`]).toString().trim() || null;
  } catch {
    return null;
  }
}
