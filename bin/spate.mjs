#!/usr/bin/env node
// The `spate` command. An installed package runs the compiled JavaScript in dist/. A checkout
// of the repository (src/ beside bin/, which the package does not ship) runs the TypeScript
// sources through tsx, a dev dependency, and lets `spate run` load TypeScript modules with it.
import { existsSync } from 'node:fs';

const source = new URL('../src/daemon/bin.ts', import.meta.url);
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  globalThis[Symbol.for('spate.tsLoaderRegistered')] = true;
  await import(source.href);
} else {
  await import('../dist/daemon/bin.js');
}
