// The checkpoint's logs, in Spark's formats: `metadata` (query id and the fingerprints of its
// stateful operators), `offsets/N` (written before epoch N runs) and `commits/N` (written after
// every sink acknowledged epoch N). A file that cannot be parsed is reported by name.
import { CheckpointError } from '../errors.js';
import type { BlobWrite, CheckpointBackend } from './backend.js';

export type SourceOffset = unknown;

export interface CheckpointMetadata {
  /** The query id: written on the first start, the same for every restart. */
  readonly id: string;
  /** Settings that must not change for the life of the checkpoint. */
  readonly conf: Readonly<Record<string, string>>;
  /** Stateful operator id → fingerprint (keys, aggregates, state schema). */
  readonly operators: Readonly<Record<string, OperatorFingerprint>>;
  /** The format of each source, in plan order (absent in checkpoints of earlier versions). */
  readonly sources?: readonly string[];
  /** State migrations made by `spate state migrate`, oldest first. */
  readonly migrations?: readonly MigrationRecord[];
  /** A migration under way (or interrupted): no query may start until it is finished. */
  readonly migrating?: PendingMigration;
}

/** One rewrite of an operator's state by `spate state migrate`. */
export interface MigrationRecord {
  /** The id of the operator whose state was rewritten. */
  readonly operator: string;
  /** The last committed batch: the state as of it was rewritten. */
  readonly batch: number;
  /** When, ISO-8601 UTC. */
  readonly at: string;
  /** What changed, one sentence each. */
  readonly changes: readonly string[];
  /** The operator's fingerprint before and after. */
  readonly from: OperatorFingerprint;
  /** The operator's fingerprint after the rewrite, as the new query records it. */
  readonly to: OperatorFingerprint;
}

/** Where the state a migration replaces is kept until the migration is recorded. */
export interface PendingMigration {
  readonly operator: string;
  /** The state version rewritten. */
  readonly version: number;
  /** The folder holding the state as it was, one blob per partition and store. */
  readonly backup: string;
}

export interface OperatorFingerprint {
  /** What the operator is, for messages: `aggregate`, `dedup`, `join`... */
  readonly kind: string;
  /** Properties that must match on restart, each a readable string. */
  readonly properties: Readonly<Record<string, string>>;
  /**
   * Names to show the state by (`spate state inspect`), never compared on restart: for an
   * aggregation, each aggregate's output column (or its text inside a larger expression).
   */
  readonly names?: Readonly<Record<string, readonly string[]>>;
}

export interface OffsetLogEntry {
  readonly epoch: number;
  readonly batchWatermarkMs: number;
  readonly batchTimestampMs: number;
  readonly conf: Readonly<Record<string, string>>;
  /** One entry per source, in plan order; null when a source has no offset yet. */
  readonly sources: readonly SourceOffset[];
}

export interface CommitLogEntry {
  readonly epoch: number;
  readonly nextBatchWatermarkMs: number;
  /**
   * The state as committed: for each operator, store and shuffle partition, the newest version
   * written. A restore knows from it which state files must exist (absent in older checkpoints).
   */
  readonly state?: StateIndex;
}

/** Operator id → store name → shuffle partition → the newest version written. */
export type StateIndex = Readonly<Record<string, Readonly<Record<string, Readonly<Record<string, number>>>>>>;

const VERSION = 'v1';

export class CheckpointLog {
  constructor(readonly backend: CheckpointBackend) {}

  async readMetadata(): Promise<CheckpointMetadata | null> {
    const raw = await this.backend.read('metadata');
    if (!raw) return null;
    return this.parseJson<CheckpointMetadata>('metadata', raw.toString('utf8'), (v) =>
      typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string');
  }

  async writeMetadata(meta: CheckpointMetadata): Promise<void> {
    await this.backend.write('metadata', JSON.stringify(meta));
  }

  async writeOffsets(entry: OffsetLogEntry): Promise<void> {
    const header = { batchWatermarkMs: entry.batchWatermarkMs, batchTimestampMs: entry.batchTimestampMs, conf: entry.conf };
    const lines = [VERSION, JSON.stringify(header), ...entry.sources.map((s) => (s === null || s === undefined ? '-' : JSON.stringify(s)))];
    await this.backend.write(`offsets/${entry.epoch}`, lines.join('\n'));
  }

  async readOffsets(epoch: number): Promise<OffsetLogEntry | null> {
    const path = `offsets/${epoch}`;
    const raw = await this.backend.read(path);
    if (!raw) return null;
    const lines = raw.toString('utf8').split('\n');
    this.checkVersion(path, lines[0]);
    const header = this.parseJson<{ batchWatermarkMs: number; batchTimestampMs: number; conf: Record<string, string> }>(
      path, lines[1] ?? '', (v) => typeof v === 'object' && v !== null && typeof (v as { batchWatermarkMs?: unknown }).batchWatermarkMs === 'number');
    const sources = lines.slice(2).map((l) => (l === '-' ? null : this.parseJson<SourceOffset>(path, l, () => true)));
    return { epoch, ...header, sources };
  }

  /** The commit marker as a blob, so it can be written last in one `writeAll` with state deltas. */
  commitBlob(entry: CommitLogEntry): BlobWrite {
    const body = entry.state ? { nextBatchWatermarkMs: entry.nextBatchWatermarkMs, state: entry.state } : { nextBatchWatermarkMs: entry.nextBatchWatermarkMs };
    return { path: `commits/${entry.epoch}`, data: `${VERSION}\n${JSON.stringify(body)}` };
  }

  async readCommit(epoch: number): Promise<CommitLogEntry | null> {
    const path = `commits/${epoch}`;
    const raw = await this.backend.read(path);
    if (!raw) return null;
    const lines = raw.toString('utf8').split('\n');
    this.checkVersion(path, lines[0]);
    const body = this.parseJson<{ nextBatchWatermarkMs: number; state?: StateIndex }>(path, lines[1] ?? '', (v) =>
      typeof v === 'object' && v !== null && typeof (v as { nextBatchWatermarkMs?: unknown }).nextBatchWatermarkMs === 'number');
    return { epoch, nextBatchWatermarkMs: body.nextBatchWatermarkMs, ...(body.state ? { state: body.state } : {}) };
  }

  async latestOffsetsEpoch(): Promise<number | null> {
    return latest(await this.backend.list('offsets'));
  }

  async latestCommitEpoch(): Promise<number | null> {
    return latest(await this.backend.list('commits'));
  }

  /** Epoch numbers present in a log, ascending. */
  async epochs(log: 'offsets' | 'commits'): Promise<number[]> {
    return (await this.backend.list(log)).map(Number).filter(Number.isInteger).sort((a, b) => a - b);
  }

  /**
   * Deletes log entries of epochs below `keepFrom`. Returns the newest offsets entry it deleted
   * (its end offsets are where the oldest retained epoch starts), or null if it deleted none.
   */
  async purgeBefore(keepFrom: number): Promise<OffsetLogEntry | null> {
    const oldOffsets = (await this.epochs('offsets')).filter((e) => e < keepFrom);
    const newestPurged = oldOffsets.length ? await this.readOffsets(oldOffsets[oldOffsets.length - 1]!) : null;
    if (oldOffsets.length) await this.backend.delete(oldOffsets.map((e) => `offsets/${e}`));
    const oldCommits = (await this.epochs('commits')).filter((e) => e < keepFrom);
    if (oldCommits.length) await this.backend.delete(oldCommits.map((e) => `commits/${e}`));
    return newestPurged;
  }

  private checkVersion(path: string, line: string | undefined): void {
    if (line !== VERSION) {
      throw new CheckpointError(
        `checkpoint file ${this.backend.location}/${path} is corrupt or truncated (expected '${VERSION}' on its first line, found ${JSON.stringify(line ?? '')}); ` +
        'restore it from a backup or start the query with a new checkpointLocation',
      );
    }
  }

  private parseJson<T>(path: string, text: string, valid: (v: unknown) => boolean): T {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      v = undefined;
    }
    if (v === undefined || !valid(v)) {
      throw new CheckpointError(
        `checkpoint file ${this.backend.location}/${path} is corrupt or truncated (cannot parse ${JSON.stringify(text.slice(0, 80))}); ` +
        'restore it from a backup or start the query with a new checkpointLocation',
      );
    }
    return v as T;
  }
}

function latest(names: string[]): number | null {
  let max: number | null = null;
  for (const n of names) {
    const e = Number(n);
    if (Number.isInteger(e) && e >= 0 && (max === null || e > max)) max = e;
  }
  return max;
}
