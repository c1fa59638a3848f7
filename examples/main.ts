// The main job (`npm start`): the notes' word count over a folder of text files. Each run drops
// the bundled files (examples/data/words) into a new run folder under the input folder, then a
// query with Trigger.AvailableNow reads them two files per micro-batch, counts words (complete
// mode, printed to the console after each batch), archives every committed file and stops.
// The checkpoint survives between runs, so a second run counts on from the first one's totals.
import { cp, mkdir, readdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Session, Trigger, col, explode, lower, split } from 'spate';

const here = dirname(fileURLToPath(import.meta.url));
const work = resolve(process.env['SPATE_MAIN_WORKDIR'] ?? join(here, '..', '.spate-tmp', 'main-job'));
const input = join(work, 'input');
const archive = join(work, 'archive');
const checkpoint = join(work, 'checkpoint');

// New input for this run: a run folder holding a copy of the bundled files.
const run = `run-${new Date().toISOString().replace(/[:.]/g, '-')}`;
await mkdir(join(input, run), { recursive: true });
const bundled = (await readdir(join(here, 'data', 'words'))).filter((n) => n.endsWith('.txt')).sort();
for (const name of bundled) await cp(join(here, 'data', 'words', name), join(input, run, name));

const spark = Session.builder().appName('Main Job - Word Count').config('spate.sql.shuffle.partitions', 3).getOrCreate();

const lines = spark.readStream.format('text')
  .option('maxFilesPerTrigger', 2)
  .option('cleanSource', 'archive')
  .option('sourceArchiveDir', archive)
  .load(input);

const wordsOf = (df: typeof lines) => df.select(explode(split(lower(col('value')), ' ')).alias('word')).filter(col('word').notEqual(''));
const wordCounts = wordsOf(lines).groupBy('word').count();

const query = wordCounts.writeStream
  .format('console')
  .outputMode('complete')
  .option('checkpointLocation', checkpoint)
  .trigger(Trigger.AvailableNow())
  .start();

await query.awaitTermination();

// Every file ever read now sits in the archive: a static read of it gives the same totals.
const totals = await wordsOf(spark.read.format('text').load(archive)).groupBy('word').count().collect();
const top = totals.sort((a, b) => (b['count'] as number) - (a['count'] as number) || String(a['word']).localeCompare(String(b['word']))).slice(0, 8);
const runs = (await readdir(archive)).filter((n) => n.startsWith('run-')).length;

const batches = query.recentProgress;
const files = batches.reduce((n, p) => n + (p.sources[0]?.numInputRows ?? 0), 0);
process.stdout.write(
  `Word count finished: ${bundled.length} files of ${run} read in ${batches.length} micro-batches ` +
  `(${files} lines, batches ${batches.map((p) => p.batchId).join(', ')}); ` +
  `files archived under ${join(archive, run)}; checkpoint ${checkpoint}\n` +
  `Top words after ${runs} run${runs === 1 ? '' : 's'} (${totals.length} distinct): ${top.map((r) => `${String(r['word'])} ${String(r['count'])}`).join(', ')}\n`,
);
