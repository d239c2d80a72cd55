import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BUNDLE = fileURLToPath(new URL('../../client/dist/browser/tradehub-client.js', import.meta.url));
/** The modules esbuild put in the bundle (written by the build). */
const INPUTS = BUNDLE.replace(/\.js$/, '.inputs.json');

describe('client: the browser bundle', () => {
  const bundle = readFileSync(BUNDLE, 'utf8');
  const sources = JSON.parse(readFileSync(INPUTS, 'utf8')) as string[];

  it('is one self-contained ES module: no imports left, no Node built-in, no require of a Node-only module', () => {
    assert.ok(!/\bimport\s*[\w{*][^;]*?\bfrom\s*["']/.test(bundle), 'an import statement is left');
    assert.ok(!/\bimport\(\s*["']/.test(bundle), 'a dynamic import is left');
    assert.ok(!/["']node:/.test(bundle), 'a node: module is named');
    assert.ok(!/\brequire\(\s*["'](ws|eventsource|node-fetch|fetch-cookie|tough-cookie|abort-controller)["']/.test(bundle));
    assert.match(bundle, /export\s*\{/, 'it exports the API');
  });

  it("holds @microsoft/signalr's ESM (browser) build, zod and the shared contracts, and no Node-only package", () => {
    assert.ok(sources.some((source) => source.includes('@microsoft/signalr/dist/esm/HubConnection.js')));
    assert.ok(!sources.some((source) => source.includes('@microsoft/signalr/dist/cjs/')));
    assert.ok(sources.some((source) => source.includes('shared/dist/trade/events.js')));
    assert.ok(sources.some((source) => source.includes('/zod/')));
    for (const source of sources) assert.ok(!/node_modules\/(ws|eventsource|node-fetch|fetch-cookie|tough-cookie)\//.test(source), source);
  });
});
