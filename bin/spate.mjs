#!/usr/bin/env node
// The `spate` command: runs src/daemon/cli.ts through tsx (no build step needed).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/daemon/cli.ts');
process.exitCode = await main(process.argv.slice(2));
