#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { INTEROP_DEFAULT_PORT, INTEROP_HUB_PATH } from '@tradehub/shared';
import { createInteropServer } from '../interop/interop-server.js';
import { createLogger, parseLogLevel } from '../observability/logger.js';
import { runUntilSignal } from './run-until-signal.js';

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function portOption(name: string, raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--${name} must be a TCP port number, not '${raw}'.`);
  return port;
}

function readPem(name: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    return fail(`--${name}: cannot read '${path}' (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
  }
}

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: String(INTEROP_DEFAULT_PORT) },
    host: { type: 'string', default: '127.0.0.1' },
    // On, as the ASP.NET test server has them: the suites compare exception texts. `--no-detailed-errors` turns them off.
    'detailed-errors': { type: 'boolean', default: true },
    // HTTPS beside HTTP, as the ASP.NET test server runs both: a PEM certificate chain and its key.
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
    'tls-port': { type: 'string', default: String(INTEROP_DEFAULT_PORT + 1) },
  },
  allowNegative: true,
});
const port = portOption('port', values.port);
const tlsPort = portOption('tls-port', values['tls-port']);
if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) fail('--tls-cert and --tls-key go together.');
const tls = values['tls-cert'] !== undefined && values['tls-key'] !== undefined
  ? { cert: readPem('tls-cert', values['tls-cert']), key: readPem('tls-key', values['tls-key']) }
  : undefined;

const logger = createLogger(parseLogLevel(process.env.LOG_LEVEL));
const { host } = createInteropServer({
  logger,
  hubOptions: { detailedErrors: values['detailed-errors'], allowStatefulReconnects: true },
});
const address = await host.listen(port, values.host).catch((error: unknown) => {
  return fail(`Cannot listen on ${values.host}:${port}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`);
});
console.log(`tradehub interop server: http://${address.address}:${address.port}${INTEROP_HUB_PATH}`);
if (tls) {
  const secure = await host.listenTls(tlsPort, values.host, tls).catch((error: unknown) => {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    return fail(`HTTPS cannot start on ${values.host}:${tlsPort}: ${reason}.`);
  });
  console.log(`tradehub interop server: https://${secure.address}:${secure.port}${INTEROP_HUB_PATH}`);
}
runUntilSignal(host, host.logger);
