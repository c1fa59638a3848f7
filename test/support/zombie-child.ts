// One run of a query checkpointed in Redis, for the zombie test: argv = redisUrl, sink ('file' |
// 'foreachBatch'), output (a folder, or a file foreachBatch appends `<tag> <batchId>` lines to),
// tag, and freezeAtRow: when the chain meets that row id, the process stops itself (SIGSTOP) in
// the middle of its epoch. It prints `committed <batchId>` per commit and `failed <message>`.
import { appendFileSync, writeSync } from 'node:fs';
import { Session } from '../../src/index.js';
import type { Row } from '../../src/index.js';
import './sequence-source.js';

const [redisUrl, sink, output, tag, freezeAt] = process.argv.slice(2) as [string, 'file' | 'foreachBatch', string, string, string];
const freezeRow = Number(freezeAt);
const say = (line: string): void => { writeSync(1, `${line}\n`); };

const spark = Session.builder().appName('zombie').config('spate.sql.shuffle.partitions', 2)
  .config('spate.checkpoint.redis.lockTimeout', 1000).config('spate.checkpoint.redis.retryTimeout', 500).create();
spark.streams.addListener({ onQueryProgress: ({ progress }) => say(`committed ${progress.batchId}`) });

const input = spark.readStream.format('sequence').option('rows', 1_000_000).option('keys', 10)
  .option('maxRowsPerTrigger', 40).option('chunkRows', 10).option('paceMs', 2).load();
const rows = input.map((r: Row) => {
  if (r['id'] === freezeRow) {
    say(`freezing ${r['id']}`);
    process.kill(process.pid, 'SIGSTOP'); // frozen here, mid-epoch, until SIGCONT
  }
  return r;
}, input.schema);
const writer = rows.writeStream.option('checkpointLocation', `${redisUrl}/0/zombie-${sink}`);
const q = sink === 'file'
  ? writer.format('json').start(output)
  : writer.foreachBatch(async (_batch, batchId) => { appendFileSync(output, `${tag} ${batchId}\n`); }).start();
try {
  await q.awaitTermination();
} catch (e) {
  say(`failed ${(e as Error).message.replace(/\n/g, ' ')}`);
  process.exit(1);
}
