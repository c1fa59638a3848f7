// Parses a Redis checkpoint location: `redis://[user:pass@]host:port/db/prefix`, or `rediss://`
// for TLS. The prefix names the checkpoint inside the database and may contain slashes. The
// location shown in messages never contains the password.
import { AnalysisError } from '../errors.js';
import { redactUrl, registerSecret } from '../secrets.js';

export interface RedisLocation {
  readonly tls: boolean;
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly db: number;
  readonly prefix: string;
  /** The location as written, with the password replaced by `***`: safe for messages and logs. */
  readonly display: string;
}

const FORM = 'redis://[user:password@]host:port/db/prefix (or rediss:// for TLS), e.g. redis://127.0.0.1:6379/0/checkpoints/word-count';
const PREFIX = /^[A-Za-z0-9_.:/-]+$/;

/** A password, remembered so that it is masked wherever it would be printed. */
function secret(password: string): string {
  registerSecret(password);
  return password;
}

export function isRedisLocation(location: string): boolean {
  return /^rediss?:\/\//i.test(location);
}

export function parseRedisLocation(location: string): RedisLocation {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    throw new AnalysisError(`checkpointLocation ${redact(location)} is not a valid Redis URL: write it as ${FORM}`);
  }
  const tls = url.protocol.toLowerCase() === 'rediss:';
  const display = redact(location);
  if (!url.hostname) throw new AnalysisError(`checkpointLocation ${display} names no host: write it as ${FORM}`);
  const port = url.port ? Number(url.port) : 6379;
  const segments = decodeURIComponent(url.pathname).split('/').filter((s) => s !== '');
  const [dbText, ...rest] = segments;
  if (dbText === undefined || !/^\d+$/.test(dbText) || rest.length === 0) {
    throw new AnalysisError(`checkpointLocation ${display} must name a database number and a key prefix: write it as ${FORM}`);
  }
  const prefix = rest.join('/');
  if (!PREFIX.test(prefix)) {
    throw new AnalysisError(
      `checkpointLocation ${display}: the key prefix '${prefix}' may only contain letters, digits and _ . : / - ` +
      '(braces would break the hash tags that keep a partition on one Redis Cluster slot)',
    );
  }
  if (url.search || url.hash) {
    throw new AnalysisError(`checkpointLocation ${display} has a query string or fragment, which the Redis store does not read: write it as ${FORM}`);
  }
  return {
    tls,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: secret(decodeURIComponent(url.password)) } : {}),
    db: Number(dbText),
    prefix,
    display,
  };
}

/** The location with any password replaced by `***` (also one holding `@` or `/`). */
export function redact(location: string): string {
  return redactUrl(location);
}
