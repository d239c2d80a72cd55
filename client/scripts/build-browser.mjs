// Bundles the client for browsers: one ESM file with @microsoft/signalr's browser (ESM) entry,
// zod and the shared contracts, and no Node built-ins. Fails when a Node-only module got in.
import { build } from 'esbuild';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserBuildOptions } from './browser-build-options.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = join(root, 'dist/browser/tradehub-client.js');

const result = await build({
  entryPoints: [join(root, 'dist/index.js')],
  outfile,
  ...browserBuildOptions,
  metafile: true,
});

const inputs = Object.keys(result.metafile.inputs);
// What went into the bundle, for the project's tests to check.
writeFileSync(join(root, 'dist/browser/tradehub-client.inputs.json'), `${JSON.stringify(inputs, null, 1)}\n`);
const problems = [];
if (!inputs.some((input) => input.includes('@microsoft/signalr/dist/esm/'))) problems.push("@microsoft/signalr's ESM entry was not used");
for (const input of inputs) {
  if (input.includes('@microsoft/signalr/dist/cjs/')) problems.push(`the CommonJS build of the official client got in: ${input}`);
  if (/node_modules\/(ws|eventsource|node-fetch|fetch-cookie|tough-cookie|abort-controller)\//.test(input)) problems.push(`a Node-only module got in: ${input}`);
}
const bundle = readFileSync(outfile, 'utf8');
if (/\brequire\(\s*["'](ws|eventsource|node-fetch)["']\s*\)/.test(bundle)) problems.push('the bundle requires a Node-only module');
if (/(from|import\()\s*["']node:/.test(bundle)) problems.push('the bundle imports a Node built-in');
// About 225 KiB minified. `import { z } from 'zod'` anywhere in what the client imports drags in
// all of zod's locales (about 350 KiB more): contracts import it as a namespace (`import * as z`).
const MAX_BUNDLE_KIB = 320;
if (bundle.length > MAX_BUNDLE_KIB * 1024) problems.push(`the bundle grew past ${MAX_BUNDLE_KIB} KiB (${Math.round(bundle.length / 1024)} KiB): did a contract import zod as { z }?`);
if (problems.length > 0) {
  console.error(`browser bundle: ${problems.join('; ')}`);
  process.exit(1);
}
console.log(`browser bundle: ${outfile.slice(root.length + 1)} (${Math.round(bundle.length / 1024)} KiB, ${inputs.length} modules)`);
