// Options that nothing reads are reported, so a misspelling (`maxFilesPerTriger`) or an option
// given to the wrong side (`maxFilesPerTrigger` on the writer) is never silently ignored. What a
// connector reads is what its provider declares (SourceProvider.options, SinkProvider.options);
// an undeclared option is a warning naming the closest declared one, or, under
// spate.conf.strict=true, an error listing them all.
import { sinksDeclaring, sourcesDeclaring } from '../connectors/contract.js';
import { AnalysisError, closestNames } from '../errors.js';
import type { SessionContext } from './session-context.js';

/** Options the reader itself takes, whatever the format. */
const READER_OPTIONS = ['path'];
/** Options the writer itself takes, whatever the format. */
const WRITER_OPTIONS = ['checkpointLocation', 'queryName', 'path'];

/** Options as given: lowercased key → the key as the user spelled it. */
export type GivenOptions = Readonly<Record<string, string>>;

/** Reports the options a reader of `format` was given that its source does not declare. */
export function checkReaderOptions(session: SessionContext, format: string, declared: readonly string[], given: GivenOptions): void {
  const known = [...READER_OPTIONS, ...declared];
  report(session, unknown(given, known).map((name) => {
    const everySink = WRITER_OPTIONS.some((w) => w.toLowerCase() === name.toLowerCase());
    const writers = sinksDeclaring(name);
    if (everySink || writers.length) {
      const where = everySink ? 'every sink' : writers.includes(format.toLowerCase()) ? `the ${format} sink` : `the ${writers.join(', ')} sink`;
      return `option '${name}' is an option of writeStream (${where}), not of readStream.format('${format}'): give it to writeStream.option('${name}', ...)`;
    }
    return `unknown option '${name}' for the ${format} source has no effect${suggestion(name, known)}`;
  }));
}

/** Reports the options a writer to `format` was given that its sink does not declare. */
export function checkWriterOptions(session: SessionContext, format: string, declared: readonly string[], given: GivenOptions): void {
  const known = [...WRITER_OPTIONS, ...declared];
  report(session, unknown(given, known).map((name) => {
    const readers = sourcesDeclaring(name);
    if (readers.includes(format.toLowerCase())) {
      return `option '${name}' is an option of readStream.format('${format}'), not of the ${format} sink: ` +
        `give it to spark.readStream.format('${format}').option('${name}', ...), where the data is read`;
    }
    if (readers.length) {
      return `option '${name}' is a reader option (of ${readers.join(', ')}), not an option of the ${format} sink: give it to spark.readStream...option('${name}', ...)`;
    }
    return `unknown option '${name}' for the ${format} sink has no effect${suggestion(name, known)}`;
  }));
}

function unknown(given: GivenOptions, known: readonly string[]): string[] {
  const lower = new Set(known.map((k) => k.toLowerCase()));
  return Object.entries(given).filter(([key]) => !lower.has(key)).map(([, spelled]) => spelled);
}

function suggestion(name: string, known: readonly string[]): string {
  const close = closestNames(name, known, 1);
  if (close.length) return `; did you mean ${close[0]}?`;
  const own = known.filter((k) => !READER_OPTIONS.includes(k) && !WRITER_OPTIONS.includes(k));
  return own.length ? `; its options are ${own.join(', ')}` : '; it takes no options';
}

function report(session: SessionContext, problems: readonly string[]): void {
  if (problems.length === 0) return;
  if (/^true$/i.test(session.confValues.get('spate.conf.strict') ?? '')) {
    throw new AnalysisError(`${problems.join('\n')}\n(spate.conf.strict=true refuses options nothing reads; set it to false to only warn)`);
  }
  for (const p of problems) process.emitWarning(p, { code: 'SPATE_UNKNOWN_OPTION' });
}
