// Starts the conformance suite's one Spark session (oracle.py) for the whole jest run, after
// setup-spark.sh has made sure pyspark, pandas, pyarrow and Spark's Kafka jars are in the cache.
// Tests reach it through SPATE_ORACLE (127.0.0.1:<port>) with the token in SPATE_ORACLE_TOKEN.
const { spawn, execFileSync } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const STATE_FILE = path.join(os.tmpdir(), `spate-spark-oracle-${process.pid}.json`);
const START_TIMEOUT_MS = 300_000;

function setUpSpark() {
  const started = Date.now();
  const out = execFileSync('bash', [path.join(__dirname, 'setup-spark.sh')], { stdio: ['ignore', 'pipe', 'inherit'] }).toString();
  const env = Object.fromEntries(out.trim().split('\n').map((l) => l.split(/=(.*)/s).slice(0, 2)));
  return { ...env, seconds: (Date.now() - started) / 1000 };
}

async function waitForReady(logFile, child) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const log = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    const m = /^READY (\d+)$/m.exec(log);
    if (m) return Number(m[1]);
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the Spark oracle did not start (exit code ${child.exitCode}); its log ends:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

module.exports = async () => {
  if (process.env.SPATE_ORACLE) return;
  const setup = setUpSpark();
  const token = randomBytes(16).toString('hex');
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'spate-spark-oracle-'));
  const logFile = path.join(logDir, 'oracle.log');
  const log = fs.openSync(logFile, 'a');
  const started = Date.now();
  const child = spawn(setup.SPARK_PYTHON, ['-u', path.join(__dirname, 'oracle.py')], {
    stdio: ['ignore', log, log],
    detached: true,
    env: {
      ...process.env,
      TZ: 'UTC',
      SPATE_ORACLE_TOKEN: token,
      SPARK_KAFKA_JARS: setup.SPARK_KAFKA_JARS,
      PYSPARK_PYTHON: setup.SPARK_PYTHON,
      PYSPARK_DRIVER_PYTHON: setup.SPARK_PYTHON,
      // Python workers unpickle the cases' functions (applyInPandasWithState) by module name.
      PYTHONPATH: [path.join(__dirname, '..', 'cases'), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter),
    },
  });
  fs.closeSync(log);
  child.unref();
  fs.writeFileSync(STATE_FILE, JSON.stringify({ pid: child.pid, logDir }));
  const port = await waitForReady(logFile, child);
  process.env.SPATE_ORACLE = `127.0.0.1:${port}`;
  process.env.SPATE_ORACLE_TOKEN = token;
  process.stderr.write(`\nSpark oracle: set-up ${setup.seconds.toFixed(1)} s, session start ${((Date.now() - started) / 1000).toFixed(1)} s (log ${logFile})\n`);
};

module.exports.STATE_FILE = STATE_FILE;
