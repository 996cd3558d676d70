#!/usr/bin/env node
// Builds a seedhost plugin component from TypeScript:
//   seedhost-plugin-build <entry.ts> <out.wasm> [--wit DIR]
// esbuild bundles the entry and this SDK into one ES module (the contract's
// imports stay external), then componentize-js makes the component. The
// `http` and `fetch-event` features are disabled: with them StarlingMonkey
// imports wasi:http, which seedhost does not grant, and the plugin is refused.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { componentize } from '@bytecodealliance/componentize-js';

const usage = 'usage: seedhost-plugin-build <entry.ts> <out.wasm> [--wit DIR]';
const args = process.argv.slice(2);
let wit = process.env.SEEDHOST_WIT;
const positional = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--wit') wit = args[++i];
  else if (args[i] === '--help' || args[i] === '-h') {
    console.log(usage);
    process.exit(0);
  } else positional.push(args[i]);
}
if (positional.length !== 2) {
  console.error(usage);
  process.exit(2);
}
const [entry, out] = positional.map((p) => resolve(p));
// The contract this SDK was written for: the repository's wit/ unless told.
wit = resolve(wit ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'wit'));

const scratch = await mkdtemp(join(tmpdir(), 'seedhost-ts-'));
try {
  const bundle = join(scratch, 'plugin.js');
  await build({
    entryPoints: [entry],
    outfile: bundle,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    external: ['seedhost:*', 'wasi:*'],
    logLevel: 'warning',
  });
  const { component } = await componentize({
    sourcePath: bundle,
    witPath: wit,
    worldName: 'described-plugin',
    disableFeatures: ['http', 'fetch-event'],
  });
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, component);
  console.log(`built ${out} (${component.byteLength} bytes)`);
} catch (e) {
  console.error(`seedhost-plugin-build: ${entry}: ${e?.message ?? e}`);
  process.exitCode = 1;
} finally {
  await rm(scratch, { recursive: true, force: true });
}
