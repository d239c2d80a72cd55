import { parseArgs } from 'node:util';
import type { LevelWithSilent } from 'pino';
import { INTEROP_HUB_PATH, TERMINAL_HUB_PATH, TRADE_HUB_PATH } from '@tradehub/shared';
import type { TradehubApp } from '../app/create-app.js';
import { DEMO_CREDENTIALS } from '../config/demo-config.js';
import { loadConfig } from '../config/load-config.js';
import { processEnv } from '../config/process-env.js';
import { createLogger, parseLogLevel } from '../observability/logger.js';
import { CommandFailure, reasonOf, UsageError } from './cli-errors.js';
import { HELP_OPTION, parsedOrUsageError, portFrom } from './command-args.js';
import type { Command } from './command.js';
import { envHelp } from './env-help.js';
import { runUntilSignal } from './run-until-signal.js';

const OPTIONS = {
  ...HELP_OPTION,
  config: { type: 'string', short: 'c' },
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
} as const;

const DEFAULT_PORT = 5000;

export const serveCommand: Command = {
  name: 'serve',
  summary: 'run a hub node (the default command)',
  get help() {
    return [
      'Usage: tradehub [serve] [--config FILE] [--port N] [--host ADDRESS]',
      '',
      'Runs a tradehub node: the trade hub, its REST API and the dashboard. Without a',
      'configuration file it runs the demo (public credentials, simulated data).',
      '',
      'Options:',
      '  -c, --config FILE   configuration file, YAML or JSON (TRADEHUB_CONFIG)',
      `  -p, --port N        port to listen on, 0 for any free one (TRADEHUB_PORT, PORT; default ${DEFAULT_PORT})`,
      '      --host ADDRESS  address to listen on (TRADEHUB_HOST, HOST; default 127.0.0.1)',
      '  -h, --help          this help',
      '',
      envHelp(),
    ].join('\n');
  },
  async run(args, env) {
    const { values } = parsedOrUsageError(() => parseArgs({ args: [...args], options: OPTIONS, strict: true }), Object.keys(OPTIONS));
    if (values.help) {
      console.log(serveCommand.help);
      return 0;
    }
    const effectiveEnv = values.config !== undefined ? { ...env, TRADEHUB_CONFIG: values.config } : env;
    const loaded = loadConfig(effectiveEnv);
    const port = values.port !== undefined ? portFrom(values.port, '--port') : portFromEnv(env);
    const host = values.host ?? processEnv(env, 'TRADEHUB_HOST') ?? '127.0.0.1';
    const logger = createLogger(logLevelOf(env));

    // The demo comes alive with simulated data; TRADEHUB_SIMULATOR=off keeps it quiet, =on simulates the first platform of any configuration.
    const simulatorSetting = processEnv(env, 'TRADEHUB_SIMULATOR') ?? (loaded.demo ? 'on' : 'off');
    if (simulatorSetting !== 'on' && simulatorSetting !== 'off') throw new UsageError(`TRADEHUB_SIMULATOR must be on or off, not '${simulatorSetting.slice(0, 20)}'`);
    const simulatePlatform = simulatorSetting === 'on' ? loaded.config.organizations[0]?.platforms[0]?.id : undefined;
    // Loaded here, not at the top: help and the other commands start without the server's modules.
    const { createTradehubApp } = await import('../app/create-app.js');
    let app: TradehubApp;
    try {
      app = await createTradehubApp(loaded.config, {
        logger,
        env: effectiveEnv,
        ...(simulatePlatform !== undefined ? { simulatePlatform } : {}),
        ...(loaded.demo ? { dashboardCredentials: { clientId: DEMO_CREDENTIALS.clients[0].id, clientSecret: DEMO_CREDENTIALS.clients[0].secret } } : {}),
      });
    } catch (error) {
      throw new CommandFailure(`cannot start: ${reasonOf(error)}`);
    }
    let address;
    try {
      address = await app.host.listen(port, host);
    } catch (error) {
      await app.close().catch(() => {});
      const reason = reasonOf(error);
      throw new CommandFailure(reason === 'EADDRINUSE'
        ? `cannot listen on ${host}:${port}: the port is in use (choose another with --port or TRADEHUB_PORT)`
        : `cannot listen on ${host}:${port}: ${reason}`);
    }
    const base = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
    console.log(`tradehub node ${app.nodeId} listening on ${base}`);
    console.log(`  trade hub:   ${base}${TRADE_HUB_PATH} (bearer token required)`);
    console.log(`  terminals:   ${base}${TERMINAL_HUB_PATH} (terminal tokens), requests to them at POST ${base}/rpc and ${base.replace(/^http/, 'ws')}/ws`);
    if (app.interopHub) console.log(`  interop hub: ${base}${INTEROP_HUB_PATH} (anonymous; TRADEHUB_INTEROP_HUB=on)`);
    console.log(`  dashboard:   ${base}/dashboard/`);
    console.log(`  tokens:      POST ${base}/connect/token, GET ${base}/v1/init`);
    if (simulatePlatform !== undefined) {
      console.log(`  simulator:   live ticks and account 5001 on platform '${simulatePlatform}' (TRADEHUB_SIMULATOR=off to stop)`);
      console.log(`               account 5001 is an online terminal: orders to it fill (terminal token: POST ${base}/api/tokens)`);
    }
    if (loaded.demo) printDemoCredentials();
    runUntilSignal(app, app.host.logger);
    return 'running';
  },
};

function portFromEnv(env: NodeJS.ProcessEnv): number {
  const raw = processEnv(env, 'TRADEHUB_PORT');
  return raw === undefined ? DEFAULT_PORT : portFrom(raw, env.TRADEHUB_PORT !== undefined ? 'TRADEHUB_PORT' : 'PORT');
}

function logLevelOf(env: NodeJS.ProcessEnv): LevelWithSilent {
  try {
    return parseLogLevel(processEnv(env, 'TRADEHUB_LOG_LEVEL'));
  } catch (error) {
    throw new UsageError(reasonOf(error));
  }
}

function printDemoCredentials(): void {
  console.log('Demo credentials (public: refused when NODE_ENV=production):');
  for (const client of DEMO_CREDENTIALS.clients) {
    console.log(`  client ${client.id} / ${client.secret}  scopes: ${client.scopes.join(' ')}`);
  }
  const { manager } = DEMO_CREDENTIALS;
  console.log(`  manager login ${manager.login} / ${manager.password} on platform '${manager.platform}'`);
}
