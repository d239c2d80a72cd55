// Bundles the dashboard page's script (compiled by `tsc -b` to dist/js) with the typed client and
// lightweight-charts into one browser file that the server serves at /dashboard/dashboard.js.
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { browserBuildOptions } from '../../client/scripts/browser-build-options.mjs';

const root = dirname(fileURLToPath(import.meta.url));
await build({
  ...browserBuildOptions,
  entryPoints: [join(root, 'dist/js/main.js')],
  outfile: join(root, 'dist/browser/dashboard.js'),
});
