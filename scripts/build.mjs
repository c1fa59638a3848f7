// Builds what the package ships (npm pack runs it as prepack): dist/ as ES modules with their
// types, and dist/cjs/ as CommonJS for require() on Node 20 releases without require(esm).
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
for (const project of ['tsconfig.build.json', 'tsconfig.cjs.json']) {
  execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
}
// The .js files under dist/cjs are CommonJS, whatever the package's "type" says.
writeFileSync('dist/cjs/package.json', '{ "type": "commonjs" }\n');
