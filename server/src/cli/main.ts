#!/usr/bin/env node
import { INTEROP_HUB_PATH, TERMINAL_HUB_PATH, TRADE_HUB_PATH } from '@tradehub/shared';
import { createTradehubApp } from '../app/create-app.js';
import { DEMO_CREDENTIALS } from '../config/demo-config.js';
import { loadConfig } from '../config/load-config.js';
import { createLogger, parseLogLevel } from '../observability/logger.js';
import { runUntilSignal } from './run-until-signal.js';

let loaded;
try {
  loaded = loadConfig(process.env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(2);
}
const port = Number(process.env.PORT ?? 5000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a TCP port number, not '${process.env.PORT}'.`);
  process.exit(2);
}
const listenHost = process.env.HOST ?? '127.0.0.1';

// The demo comes alive with simulated data; TRADEHUB_SIMULATOR=off keeps it quiet, =on simulates the first platform of any configuration.
const simulatorSetting = process.env.TRADEHUB_SIMULATOR ?? (loaded.demo ? 'on' : 'off');
const simulatePlatform = simulatorSetting === 'on' ? loaded.config.organizations[0]?.platforms[0]?.id : undefined;
const app = await createTradehubApp(loaded.config, {
  logger: createLogger(parseLogLevel(process.env.LOG_LEVEL)),
  ...(simulatePlatform !== undefined ? { simulatePlatform } : {}),
  ...(loaded.demo ? { dashboardCredentials: { clientId: DEMO_CREDENTIALS.clients[0].id, clientSecret: DEMO_CREDENTIALS.clients[0].secret } } : {}),
});
const address = await app.host.listen(port, listenHost);
const base = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
console.log(`tradehub node ${app.nodeId} listening on ${base}`);
console.log(`  trade hub:   ${base}${TRADE_HUB_PATH} (bearer token required)`);
console.log(`  terminals:   ${base}${TERMINAL_HUB_PATH} (terminal tokens), requests to them at POST ${base}/rpc`);
if (app.interopHub) console.log(`  interop hub: ${base}${INTEROP_HUB_PATH} (anonymous; TRADEHUB_INTEROP_HUB=on)`);
console.log(`  dashboard:   ${base}/dashboard/`);
console.log(`  tokens:      POST ${base}/connect/token, GET ${base}/v1/init`);
if (simulatePlatform !== undefined) {
  console.log(`  simulator:   live ticks and account 5001 on platform '${simulatePlatform}' (TRADEHUB_SIMULATOR=off to stop)`);
  console.log(`               account 5001 is an online terminal: orders to it fill (terminal token: POST ${base}/api/tokens)`);
}
if (loaded.demo) {
  console.log('Demo credentials (public: refused when NODE_ENV=production):');
  for (const client of DEMO_CREDENTIALS.clients) {
    console.log(`  client ${client.id} / ${client.secret}  scopes: ${client.scopes.join(' ')}`);
  }
  const { manager } = DEMO_CREDENTIALS;
  console.log(`  manager login ${manager.login} / ${manager.password} on platform '${manager.platform}'`);
}
runUntilSignal(app, app.host.logger);
