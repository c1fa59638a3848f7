// Where a checkpoint lives. Everything (metadata, offset and commit logs, source metadata,
// state deltas and snapshots) is a blob at a slash-separated path; a backend stores blobs.
// Paths under `state/<op>/<partition>/` belong to one shuffle partition (one Redis hash tag).
// The optional methods serve inspection; the engine never needs them.

export interface BlobWrite {
  readonly path: string;
  readonly data: Buffer | string;
}

export interface CheckpointBackend {
  /** Where the checkpoint is, as the user wrote it (for messages). */
  readonly location: string;
  /**
   * Whether an epoch's state delta of a store goes in one blob for every shuffle partition
   * (packed-state.ts) rather than one blob per partition: for stores where each blob is a file.
   */
  readonly packsState?: boolean;
  read(path: string): Promise<Buffer | null>;
  /** Writes one blob atomically: a reader sees the old blob or the new one, never a part. */
  write(path: string, data: Buffer | string): Promise<void>;
  /**
   * Writes blobs so that the last one is visible only if all earlier ones are: the commit marker
   * goes last. A backend that can (Redis MULTI/EXEC) writes them in one transaction.
   */
  writeAll(writes: readonly BlobWrite[]): Promise<void>;
  /** Names directly under `dir` (files and sub-directories), unsorted. */
  list(dir: string): Promise<string[]>;
  delete(paths: readonly string[]): Promise<void>;
  /**
   * Marks the checkpoint as used by one live run; throws CheckpointError naming the other run
   * when it is already in use. Released by `release`.
   */
  acquire(runId: string): Promise<void>;
  release(runId: string): Promise<void>;
  /**
   * Throws CheckpointError unless the run that acquired the checkpoint through this backend
   * still holds it. A sink calls it right before making an epoch visible (a file sink's manifest
   * entry, a foreachBatch call), so that a run that lost the checkpoint (it froze past the lock
   * timeout and another run took over) publishes nothing. Does nothing before `acquire`.
   */
  checkFence(): Promise<void>;
  close(): Promise<void>;
  /** Sizes in bytes of the blobs directly under `dir` (inspection); sub-directories are left out. */
  sizes?(dir: string): Promise<Map<string, number>>;
  /** The live run holding the checkpoint, if any (inspection). */
  lockHolder?(): Promise<LockHolder | null>;
  /**
   * For stores whose lock can vanish (it expires, or the store lost its data): `check` runs
   * before the run takes a vanished lock again, and throws when the checkpoint no longer holds
   * what this run wrote.
   */
  setLockVanishedCheck?(check: () => Promise<void>): void;
}

/** Who holds a checkpoint's live-run lock. */
export interface LockHolder {
  /** The run id of the query holding the lock ({@link StreamingQuery.runId}). */
  readonly runId: string;
  /** The host name of the holder's machine, if known. */
  readonly host?: string;
  /** The holder's process id, if known. */
  readonly pid?: number;
  /** When the run took the lock (ms since the epoch), if known. */
  readonly sinceMs?: number;
}
