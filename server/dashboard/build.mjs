// Bundles the dashboard page's script (compiled by `tsc -b` to dist/js) with the typed client and
// lightweight-charts into one browser file that the server serves at /dashboard/dashboard.js.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
await build({
  entryPoints: [join(root, 'dist/js/main.js')],
  outfile: join(root, 'dist/browser/dashboard.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // `module` before `main`: the official SignalR client's ESM build, as in the client's own browser bundle.
  mainFields: ['browser', 'module', 'main'],
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
