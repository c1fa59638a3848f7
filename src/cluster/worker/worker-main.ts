// The entry of a worker thread: loads spate (its operators, functions and connectors), then the
// modules a query lists in spate.worker.imports (which may register sources and functions),
// and runs the region tasks the driver deploys until told to stop them.
import type { MessagePort } from 'node:worker_threads';
import { parentPort } from 'node:worker_threads';
import '../../connectors/index.js';
import '../../expr/functions/index.js';
import { splitFormats, taskSinkFormats } from '../../connectors/contract.js';
import { Rpc, serializeError } from '../rpc.js';
import type { RegionPorts, RegionSpec } from '../region-spec.js';
import type { StateExpectation } from '../../state/state-repository.js';
import { RegionTask } from './region-task.js';

if (!parentPort) throw new Error('worker-main runs on a worker thread');
const rpc = new Rpc(parentPort);

// A warning on this thread (a source's data loss, a deprecation) is the query's: the driver's
// process emits it (and prints it, once), instead of this thread printing it.
process.removeAllListeners('warning');
process.on('warning', (w) => rpc.post('warning', { name: w.name, message: w.message }));
const tasks = new Map<string, RegionTask>();
/** Regions whose deployment failed here: a later request about them gets that error. */
const failedDeploys = new Map<string, unknown>();

rpc.handle('import', async (body) => {
  for (const m of (body as { modules: string[] }).modules) await import(m);
  return { sources: splitFormats(), sinks: taskSinkFormats() };
});

rpc.handle('deploy', (body) => {
  const { spec, ports } = body as { spec: RegionSpec; ports: RegionPorts };
  try {
    tasks.set(spec.id, new RegionTask(spec, ports, {
      backend: (op, args) => rpc.call('request', { id: spec.id, kind: 'backend', op, args }),
      staticRows: (nodeId) => rpc.call('request', { id: spec.id, kind: 'static', nodeId }),
      failed: (error, where) => rpc.post('failed', { id: spec.id, where, error: serializeError(error) }),
    }));
  } catch (e) {
    failedDeploys.set(spec.id, e);
    closePorts(ports);
    rpc.post('failed', { id: spec.id, where: `${spec.name}, worker thread ${spec.thread}`, error: serializeError(e) });
  }
});

rpc.handle('restore', async (body) => {
  const { id, nodeId, version, lateWatermarkMs, expected } = body as { id: string; nodeId: number; version: number; lateWatermarkMs: number; expected: StateExpectation };
  const task = tasks.get(id);
  if (!task) throw failedDeploys.get(id) ?? new Error(`internal: no region ${id} on this thread to restore`);
  return task.restore(nodeId, version, lateWatermarkMs, expected);
});

rpc.handle('undeploy', async (body) => {
  const { id } = body as { id: string };
  const task = tasks.get(id);
  tasks.delete(id);
  failedDeploys.delete(id);
  await task?.stop();
});

function closePorts(ports: RegionPorts): void {
  const all: MessagePort[] = [...ports.inputs, ports.output, ...ports.exchanges.flatMap((e) => [...e.send, ...e.receive])];
  for (const p of all) p.close();
}
