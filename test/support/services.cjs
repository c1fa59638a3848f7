// Starts the real services the tests use, on loopback: a redis-server on a free port and
// librdkafka's mock Kafka cluster (3 brokers) through Debian's kcat. Setting REDIS_URL or
// KAFKA_BROKERS beforehand uses those instead (e.g. a real Kafka).
const { spawn, execFileSync } = require('node:child_process');
const net = require('node:net');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const STATE_FILE = path.join(os.tmpdir(), `spate-test-services-${process.pid}.json`);

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function which(cmd) {
  try {
    return execFileSync('sh', ['-c', `command -v ${cmd}`]).toString().trim();
  } catch {
    return null;
  }
}

async function waitForPort(port, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listened on 127.0.0.1:${port} within ${ms} ms`);
}

async function startRedis() {
  const bin = which('redis-server');
  if (!bin) throw new Error('redis-server is not installed: apt-get install -y redis-server (or set REDIS_URL)');
  const port = await freePort();
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore', detached: true,
  });
  child.unref();
  await waitForPort(port, 10000);
  return { pid: child.pid, url: `redis://127.0.0.1:${port}`, port, bin };
}

function startKafkaMock() {
  const bin = which('kcat');
  if (!bin) throw new Error('kcat is not installed: apt-get install -y kcat (or set KAFKA_BROKERS to a real Kafka)');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['-C', '-t', 'warmup', '-X', 'test.mock.num.brokers=3', '-b', 'dummy:1', '-d', 'mock', '-q'], {
      stdio: ['ignore', 'ignore', 'pipe'], detached: true,
    });
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`kcat mock cluster did not start: ${buf.slice(0, 500)}`)), 15000);
    child.stderr.on('data', (d) => {
      buf += d.toString();
      const m = /bootstrap\.servers=([0-9.:,]+)/.exec(buf);
      if (m) {
        clearTimeout(timer);
        child.stderr.removeAllListeners('data');
        child.stderr.resume();
        child.unref();
        child.stderr.unref?.();
        resolve({ pid: child.pid, brokers: m[1] });
      }
    });
    child.on('exit', (code) => reject(new Error(`kcat exited (${code}) before the mock cluster started: ${buf.slice(0, 500)}`)));
  });
}

async function start() {
  const state = { pids: [] };
  if (!process.env.REDIS_URL) {
    const r = await startRedis();
    process.env.REDIS_URL = r.url;
    process.env.SPATE_TEST_REDIS_SERVER = r.bin;
    state.pids.push(r.pid);
  }
  if (!process.env.KAFKA_BROKERS) {
    const k = await startKafkaMock();
    process.env.KAFKA_BROKERS = k.brokers;
    process.env.SPATE_TEST_KAFKA_MOCK = '1';
    state.pids.push(k.pid);
  }
  fs.writeFileSync(STATE_FILE, JSON.stringify(state));
  process.env.SPATE_TEST_SERVICES_FILE = STATE_FILE;
}

function stop() {
  const file = process.env.SPATE_TEST_SERVICES_FILE;
  if (!file || !fs.existsSync(file)) return;
  const state = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const pid of state.pids) {
    try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
  }
  fs.rmSync(file, { force: true });
}

module.exports = { start, stop, freePort };
