// The Kafka sink under the name 'gated-kafka-tasks', for the Kafka exactly-once tests under
// master('local[N]'): registered on the driver by kafka-child.ts and on every worker thread
// (listed in spate.worker.imports). Worker thread 0's share of one epoch stops right after its
// key groups' transactions committed, before its report reaches the driver (so the driver's
// commit log of that epoch is not written, and the other thread may or may not have committed
// its key groups yet), prints GATED and waits for the gate file: the test kills the process
// there. The gate comes from SPATE_TEST_KAFKA_GATE ({ afterEpochs, file } as JSON), which
// worker threads inherit with the environment.
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerSink, sinkProvider } from '../../src/connectors/contract.js';
import type { TaskSink } from '../../src/connectors/contract.js';
import '../../src/index.js';

const gate = JSON.parse(process.env['SPATE_TEST_KAFKA_GATE'] ?? 'null') as { afterEpochs: number; file: string } | null;
const kafka = sinkProvider('kafka');

registerSink('gated-kafka-tasks', {
  options: kafka.options,
  create: (opts) => kafka.create(opts),
  taskSink: (opts): TaskSink => {
    const inner = kafka.taskSink!(opts);
    let epochsWritten = 0;
    return {
      ...(inner.keyGroupOf ? { keyGroupOf: inner.keyGroupOf } : {}),
      writer: () => {
        const w = inner.writer();
        return {
          write: (rows) => w.write(rows),
          finish: async (epoch) => {
            const wrote = await w.finish(epoch);
            if (gate && opts.thread === 0 && wrote.rows > 0 && epochsWritten++ === gate.afterEpochs) {
              process.stdout.write('GATED\n');
              while (!existsSync(gate.file)) await sleep(20);
            }
            return wrote;
          },
        };
      },
      close: () => inner.close(),
    };
  },
});
