// `master('local[N]')`, as Spark's: how many worker threads run one query's stages in this
// process. `local` is one thread (today's single-threaded engine, no worker threads at all);
// `local[*]` is one thread per core. Read from `spate.master`, else the SPATE_MASTER environment
// variable (Spark's MASTER), else `local`.
import { availableParallelism } from 'node:os';
import { AnalysisError } from '../errors.js';

/** The number of worker threads a master URL asks for; 1 means no worker threads. */
export function parseMaster(url: string): number {
  const m = /^local(?:\[(\*|\d+)\])?$/.exec(url.trim());
  if (!m) {
    throw new AnalysisError(
      `unknown master '${url}': spate runs 'local' (one thread), 'local[N]' (N worker threads) or 'local[*]' (one per core); ` +
      'many machines run through `spate run` workers instead',
    );
  }
  if (m[1] === undefined) return 1;
  if (m[1] === '*') return Math.max(1, availableParallelism());
  const n = Number(m[1]);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new AnalysisError(`master '${url}' asks for ${m[1]} threads: give 1 to 256`);
  return n;
}
