// Loads the module `spate run` was given. JavaScript loads as it is; TypeScript through the
// application's own tsx (a checkout of spate registers it before the daemon starts).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { errorMessage } from '../errors.js';
import { UsageError } from './settings.js';

/** Set by bin/spate.mjs when it has registered tsx (a checkout of the repository). */
export const TS_LOADER_REGISTERED = Symbol.for('spate.tsLoaderRegistered');

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

/** Imports the module and returns its exports; a missing or throwing module is a UsageError. */
export async function loadModule(path: string): Promise<Record<string, unknown>> {
  const file = resolve(path);
  if (!existsSync(file)) throw new UsageError(`module not found: ${path}`);
  if (TYPESCRIPT.has(extname(file)) && !(globalThis as Record<symbol, unknown>)[TS_LOADER_REGISTERED]) await registerTsx(file);
  try {
    return await import(pathToFileURL(file).href) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`module ${path} threw while loading: ${errorMessage(e)}`, { cause: e });
  }
}

async function registerTsx(file: string): Promise<void> {
  let api: string;
  try {
    api = createRequire(file).resolve('tsx/esm/api');
  } catch {
    throw new UsageError(
      `${file} is TypeScript: install tsx in your application (npm install --save-dev tsx) so that spate run can load it, or compile it to JavaScript`,
    );
  }
  const { register } = await import(pathToFileURL(api).href) as { register(): unknown };
  register();
  (globalThis as Record<symbol, unknown>)[TS_LOADER_REGISTERED] = true;
}
