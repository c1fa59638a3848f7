// Which files a file source sees: one folder (every file below it, recursively, as Spark's file
// index lists partition folders) or a glob (`*`, `?`, `[abc]`, `{a,b}`, one folder level per
// segment). Names starting with `.` or `_` are hidden (temporary files, `_spate_metadata`). A
// folder written by the file sink is read through its manifest, so only committed files count.
import type { Dirent } from 'node:fs';
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ConnectorError, errorMessage } from '../../errors.js';
import { readManifestFiles, hasManifest } from './manifest.js';

export interface FileStatus {
  /** Absolute path. */
  readonly path: string;
  readonly mtimeMs: number;
  readonly size: number;
}

export interface SourcePath {
  /** The path as the user wrote it (for messages). */
  readonly given: string;
  /** The folder above the first glob segment (or the folder itself). */
  readonly base: string;
  /** One pattern per folder level below `base`; empty when the path has no glob. */
  readonly segments: readonly RegExp[];
}

const GLOB_CHARS = /[*?[{]/;

export function parseSourcePath(given: string): SourcePath {
  const absolute = resolve(given);
  const parts = absolute.split(sep);
  const first = parts.findIndex((p) => GLOB_CHARS.test(p));
  if (first < 0) return { given, base: absolute, segments: [] };
  return { given, base: parts.slice(0, first).join(sep) || sep, segments: parts.slice(first).map(globSegment) };
}

/** One path segment of a glob as an anchored regular expression. */
export function globSegment(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = glob.indexOf(']', i + 2);
      if (close < 0) { re += '\\['; continue; }
      let body = glob.slice(i + 1, close);
      if (body.startsWith('!') || body.startsWith('^')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else if (ch === '{') {
      const close = glob.indexOf('}', i);
      if (close < 0) { re += '\\{'; continue; }
      re += `(?:${glob.slice(i + 1, close).split(',').map(escapeRegex).join('|')})`;
      i = close;
    } else re += escapeRegex(ch);
  }
  return new RegExp(`^${re}$`);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

export function isHidden(name: string): boolean {
  return name.startsWith('.') || name.startsWith('_');
}

/** Every visible file the path names, with its modification time and size. */
export async function listFiles(sp: SourcePath): Promise<FileStatus[]> {
  if (sp.segments.length === 0) {
    if (await hasManifest(sp.base)) return readManifestFiles(sp.base);
    const st = await statOrNull(sp.base);
    if (!st) return [];
    if (st.isFile()) return [{ path: sp.base, mtimeMs: st.mtimeMs, size: st.size }];
    return listTree(sp.base);
  }
  const out: FileStatus[] = [];
  const walk = async (dir: string, level: number): Promise<void> => {
    const pattern = sp.segments[level]!;
    for (const e of await entries(dir)) {
      if (isHidden(e.name) || !pattern.test(e.name)) continue;
      const full = join(dir, e.name);
      if (level === sp.segments.length - 1) {
        if (e.isFile()) {
          // Removed since the folder was listed: it is simply not there.
          const s = await statOrNull(full);
          if (s) out.push({ path: full, mtimeMs: s.mtimeMs, size: s.size });
        } else if (e.isDirectory()) out.push(...(await listTree(full)));
      } else if (e.isDirectory()) {
        await walk(full, level + 1);
      }
    }
  };
  await walk(sp.base, 0);
  return out;
}

/** Files below `dir`, recursively, skipping hidden names. */
export async function listTree(dir: string): Promise<FileStatus[]> {
  const out: FileStatus[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await entries(d)) {
      if (isHidden(e.name)) continue;
      const full = join(d, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile()) {
        const s = await statOrNull(full);
        if (s) out.push({ path: full, mtimeMs: s.mtimeMs, size: s.size });
      }
    }
  };
  await walk(dir);
  return out;
}

/** Whether `dir` could hold files the source path matches (an archive folder must not). */
export function couldMatch(sp: SourcePath, dir: string): boolean {
  const rel = relative(sp.base, resolve(dir));
  if (rel === '' ) return true;
  if (rel.startsWith('..') || isAbsolute(rel)) return false;
  if (sp.segments.length === 0) return true;
  const parts = rel.split(sep);
  // Below the deepest glob level everything is listed; above it each level must match.
  for (let i = 0; i < Math.min(parts.length, sp.segments.length); i++) {
    if (!sp.segments[i]!.test(parts[i]!)) return false;
  }
  return true;
}

/** `k=v` folder names between `base` and the file: the partition values of a partitioned folder. */
export function partitionValues(base: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  const rel = relative(base, file);
  if (rel.startsWith('..')) return out;
  for (const part of rel.split(sep).slice(0, -1)) {
    const eq = part.indexOf('=');
    if (eq > 0) out.set(unescapePathName(part.slice(0, eq)), unescapePathName(part.slice(eq + 1)));
  }
  return out;
}

/** Hive's escaping of partition values in folder names (`/` → `%2F`), as Spark writes them. */
export function escapePathName(s: string): string {
  return s.replace(/[\u0000-\u001f"#%'*/:=?\\\u007f{[\]^]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function unescapePathName(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/** The key under which a file counts as seen: its path, or its name alone with fileNameOnly. */
export function seenKey(path: string, fileNameOnly: boolean): string {
  return fileNameOnly ? basename(path) : path;
}

async function entries(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return [];
    throw pathError('cannot list folder', dir, e);
  }
}

async function statOrNull(path: string): Promise<Stats | null> {
  try {
    return await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw pathError('cannot read the status of', path, e);
  }
}

/** A file-system error with the path it concerns in its message (Node's omits it for some calls). */
export function pathError(what: string, path: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (!code) return e;
  const message = errorMessage(e);
  return new ConnectorError(`${what} ${path}: ${message.includes(path) ? message : `${message} (${path})`}`, { cause: e });
}
