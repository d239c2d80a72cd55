#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { INTEROP_DEFAULT_PORT, INTEROP_HUB_PATH } from '@tradehub/shared';
import { isOrigin } from '../config/config-schema.js';
import { createInteropServer } from '../interop/interop-server.js';
import { createLogger, parseLogLevel } from '../observability/logger.js';
import { parsedOrUsageError } from './command-args.js';
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

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  port: { type: 'string', default: String(INTEROP_DEFAULT_PORT) },
  host: { type: 'string', default: '127.0.0.1' },
  // On, as the ASP.NET test server has them: the suites compare exception texts. `--no-detailed-errors` turns them off.
  'detailed-errors': { type: 'boolean', default: true },
  // HTTPS beside HTTP, as the ASP.NET test server runs both: a PEM certificate chain and its key.
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-port': { type: 'string', default: String(INTEROP_DEFAULT_PORT + 1) },
  // Pages of local origins may always call it; these (comma-separated, or the option repeated) too.
  cors: { type: 'string', multiple: true },
} as const;

const HELP = `Usage: tradehub-interop [--port N] [--host ADDRESS] [--cors ORIGINS] [--no-detailed-errors]
                        [--tls-cert PEM --tls-key PEM [--tls-port N]]

The interop server: ASP.NET Core's SignalR functional-test server on tradehub, for checking
SignalR clients. Never a product server: its hubs are anonymous.

  --port N              HTTP port (default ${INTEROP_DEFAULT_PORT})
  --host ADDRESS        address to listen on (default 127.0.0.1)
  --cors ORIGINS        origins whose pages may call it besides local ones, comma-separated
  --no-detailed-errors  hide exception texts from clients
  --tls-cert, --tls-key a PEM certificate chain and its key, to serve HTTPS too
  --tls-port N          HTTPS port (default ${INTEROP_DEFAULT_PORT + 1})`;

let parsed;
try {
  parsed = parsedOrUsageError(() => parseArgs({ options: OPTIONS, allowNegative: true, strict: true }), Object.keys(OPTIONS));
} catch (error) {
  fail(`tradehub-interop: ${(error as Error).message} (tradehub-interop --help)`);
}
const { values } = parsed;
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
const corsOrigins = (values.cors ?? []).flatMap((list) => list.split(',')).map((origin) => origin.trim()).filter((origin) => origin !== '');
const badOrigin = corsOrigins.find((origin) => !isOrigin(origin));
if (badOrigin !== undefined) fail(`--cors takes origins, scheme://host[:port] without a path, not '${badOrigin.slice(0, 60)}'.`);
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
  corsOrigins,
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
