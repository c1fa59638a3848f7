// Stops the Spark oracle the globalSetup started: asks it to stop its session, then makes sure
// its process group (python and Spark's JVM) is gone.
const fs = require('node:fs');
const net = require('node:net');
const { STATE_FILE } = require('./global-setup.cjs');

function askToStop() {
  const [host, port] = (process.env.SPATE_ORACLE || '').split(':');
  if (!port) return Promise.resolve();
  return new Promise((resolve) => {
    const s = net.connect(Number(port), host, () => s.write(`${JSON.stringify({ op: 'stop', token: process.env.SPATE_ORACLE_TOKEN })}\n`));
    s.on('data', () => s.end());
    s.on('close', resolve);
    s.on('error', resolve);
  });
}

function alive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

module.exports = async () => {
  if (!fs.existsSync(STATE_FILE)) return;
  const { pid, logDir } = JSON.parse(fs.readFileSync(STATE_FILE, 'utf8'));
  await askToStop();
  const deadline = Date.now() + 30_000;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
  fs.rmSync(STATE_FILE, { force: true });
  if (!process.env.SPATE_KEEP_ORACLE_LOG) fs.rmSync(logDir, { recursive: true, force: true });
};
