#!/usr/bin/env node
import { INTEROP_HUB_PATH, TRADE_HUB_PATH } from '@tradehub/shared';
import { HubHost } from '../http/hub-host.js';
import { interopHub } from '../interop/interop-hub.js';
import { nodeId } from '../node-identity.js';
import { createLogger, parseLogLevel } from '../observability/logger.js';
import { tradeHub } from '../trade/trade-hub.js';
import { runUntilSignal } from './run-until-signal.js';

const port = Number(process.env.PORT ?? 5000);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a TCP port number, not '${process.env.PORT}'.`);
  process.exit(2);
}
const listenHost = process.env.HOST ?? '127.0.0.1';

const host = new HubHost({ logger: createLogger(parseLogLevel(process.env.LOG_LEVEL)) });
host.mapHub({ path: TRADE_HUB_PATH, hub: tradeHub(nodeId()) });
host.mapHub({ path: INTEROP_HUB_PATH, hub: interopHub() });
const address = await host.listen(port, listenHost);
const base = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
console.log(`tradehub listening on ${base}`);
console.log(`  trade hub:   ${base}${TRADE_HUB_PATH}`);
console.log(`  interop hub: ${base}${INTEROP_HUB_PATH}`);
runUntilSignal(host);
