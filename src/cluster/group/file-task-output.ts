// The file sink (json, csv, text) of a cluster query: each key group's task writes its epoch's
// rows into new part files of its own (the file sink's task writer, as worker threads use it)
// and hands their list to the coordinator through its sink record; the coordinator writes the
// epoch's manifest entry (_spate_metadata/<epoch>, Spark's _spark_metadata) listing every key
// group's files once all have recorded theirs. Readers that honour the manifest see only
// committed files: files of a task that died or was fenced before its record are listed nowhere.
// The output folder must be one every worker reaches (a shared file system), as Spark's must.
import type { Row } from '../../data/row.js';
import type { TaskSink, TaskSinkOptions } from '../../connectors/contract.js';
import { sinkProvider } from '../../connectors/contract.js';
import type { ManifestEntry } from '../../connectors/file/manifest.js';
import { ManifestLog } from '../../connectors/file/manifest.js';
import type { TaskOutput } from './task-sink.js';
import { PerKeyGroup } from './task-sink.js';

export class FileTaskOutput implements TaskOutput {
  private readonly sinks: PerKeyGroup<TaskSink>;

  /** `opts`: the sink's options as a worker thread gets them; `thread` is replaced by the key group. */
  constructor(opts: TaskSinkOptions) {
    this.sinks = new PerKeyGroup((group) => sinkProvider(opts.format).taskSink!({ ...opts, thread: group }));
  }

  async write(group: number, epoch: number, rows: readonly Row[]): Promise<ManifestEntry[]> {
    const w = this.sinks.of(group).writer();
    if (rows.length) await w.write([...rows]);
    return ((await w.finish(epoch)).detail as ManifestEntry[] | undefined) ?? [];
  }

  retain(groups: ReadonlySet<number>): Promise<void> {
    return this.sinks.retain(groups);
  }

  close(): Promise<void> {
    return this.sinks.retain(new Set());
  }
}

/** The coordinator's half: epoch `epoch`'s manifest entry, listing every key group's files; false when it existed already. */
export function manifestCommit(path: string): (epoch: number, details: unknown[]) => Promise<boolean> {
  const log = new ManifestLog(path);
  return (epoch, details) => log.commit(epoch, details.flatMap((d) => (d as ManifestEntry[] | undefined) ?? []));
}
