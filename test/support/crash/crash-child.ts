// One life of the crash harness: runs the crash query until its source is exhausted, printing
// READY when the query starts, COMMITTED <epoch> per epoch and DONE at the end. The harness
// kills it with SIGKILL at random points and starts it again. With --hold-at-end a life that
// reaches the end of the source prints HELD and waits there for its kill instead of finishing.
import { startCrashQuery } from './crash-query.js';
import type { CrashQueryConfig } from './crash-query.js';

const cfg = JSON.parse(process.argv[2] ?? '{}') as CrashQueryConfig;
const { spark, query } = startCrashQuery(cfg);
spark.streams.addListener({ onQueryProgress: ({ progress }) => { process.stdout.write(`COMMITTED ${progress.batchId}\n`); } });
process.stdout.write('READY\n');
try {
  await query.processAllAvailable();
  if (process.argv.includes('--hold-at-end')) {
    process.stdout.write('HELD\n');
    setInterval(() => undefined, 60_000); // an empty event loop would end the process
    await new Promise<never>(() => undefined);
  }
  await query.stop();
  process.stdout.write('DONE\n');
  process.exit(0);
} catch (e) {
  process.stdout.write(`FAILED ${(e as Error).message.replace(/\n/g, ' ')}\n`);
  process.exit(1);
}
