// esbuild options for a browser bundle with the typed client in it: the client's own bundle
// (build-browser.mjs) and the dashboard page's script (server/dashboard/build.mjs).
export const browserBuildOptions = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  // `module` before `main`: the official client's ESM build, whose Node-only requires are behind a platform check.
  mainFields: ['browser', 'module', 'main'],
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
};
