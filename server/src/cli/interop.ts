#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { INTEROP_DEFAULT_PORT, INTEROP_HUB_PATH } from '@tradehub/shared';
import { HubHost } from '../http/hub-host.js';
import { interopHub } from '../interop/interop-hub.js';
import { createLogger, parseLogLevel } from '../observability/logger.js';
import { runUntilSignal } from './run-until-signal.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: String(INTEROP_DEFAULT_PORT) },
    host: { type: 'string', default: '127.0.0.1' },
    'detailed-errors': { type: 'boolean', default: false },
  },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a TCP port number, not '${values.port}'.`);
  process.exit(2);
}

const host = new HubHost({ logger: createLogger(parseLogLevel(process.env.LOG_LEVEL)) });
host.mapHub({ path: INTEROP_HUB_PATH, hub: interopHub(), hubOptions: { detailedErrors: values['detailed-errors'], allowStatefulReconnects: true } });
const address = await host.listen(port, values.host);
console.log(`tradehub interop server: http://${address.address}:${address.port}${INTEROP_HUB_PATH}`);
runUntilSignal(host, host.logger);
