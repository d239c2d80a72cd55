import { parseArgs } from 'node:util';
import type { HubConnection } from '@microsoft/signalr';
import { TRADE_HUB_PATH, type PublishResult, type TradeEventInput } from '@tradehub/shared';
import { processEnv } from '../config/process-env.js';
import { fetchToken } from '../load/tokens.js';
import { createLogger, parseLogLevel } from '../observability/logger.js';
import { TradeSimulator } from '../simulator/trade-simulator.js';
import { CommandFailure, reasonOf, UsageError } from './cli-errors.js';
import { HELP_OPTION, parsedOrUsageError } from './command-args.js';
import type { Command } from './command.js';
import { assertReachable, hubUrlFrom } from './hub-request.js';
import { runUntilSignal } from './run-until-signal.js';

const OPTIONS = {
  ...HELP_OPTION,
  hub: { type: 'string' },
  platform: { type: 'string', default: 'demo' },
  login: { type: 'string', default: '5001' },
  rate: { type: 'string', default: '2' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  token: { type: 'string' },
} as const;

const MAX_TICKS_PER_SECOND = 1000;

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'publish simulated quotes and trades to a running hub (a publisher)',
  help: [
    'Usage: tradehub simulate --hub URL [--platform ID] [--login N] [--rate N] (credentials)',
    '',
    'Runs the demo\'s simulated platform in this process and publishes its events through the',
    'hub\'s Publish method, as a platform feed would: quotes of four symbols on a random walk,',
    'and one account that opens and closes a position every few seconds. Runs until SIGINT or',
    'SIGTERM.',
    '',
    'Options:',
    '  --hub URL              the hub (TRADEHUB_HUB_URL; default http://127.0.0.1:5000)',
    '  --platform ID          the platform to publish for (default demo)',
    '  --login N              the simulated account\'s login (default 5001)',
    `  --rate N               ticks per second of each symbol, 0.1 to ${MAX_TICKS_PER_SECOND} (default 2)`,
    '  --client-id ID         client credentials with the trade.publish scope',
    '  --client-secret SECRET (TRADEHUB_CLIENT_ID, TRADEHUB_CLIENT_SECRET; the variable keeps',
    '                         the secret out of the process list)',
    '  --token TOKEN          or an access token with trade.publish (TRADEHUB_TOKEN)',
    '  -h, --help             this help',
  ].join('\n'),
  async run(args, env) {
    const { values } = parsedOrUsageError(() => parseArgs({ args: [...args], options: OPTIONS, strict: true }), Object.keys(OPTIONS));
    if (values.help) {
      console.log(simulateCommand.help);
      return 0;
    }
    const hub = hubUrlFrom(values.hub, env);
    const ticksPerSecond = Number(values.rate);
    if (!(ticksPerSecond >= 0.1 && ticksPerSecond <= MAX_TICKS_PER_SECOND)) {
      throw new UsageError(`--rate must be a number of ticks per second from 0.1 to ${MAX_TICKS_PER_SECOND}, not '${values.rate.slice(0, 20)}'`);
    }
    if (!/^\d{1,20}$/.test(values.login)) throw new UsageError(`--login must be a numeric login, not '${values.login.slice(0, 20)}'`);
    const accessToken = accessTokenSource(hub, values, env);
    const logger = createLogger(parseLogLevel(processEnv(env, 'TRADEHUB_LOG_LEVEL') ?? 'warn'));
    await assertReachable(hub);
    // Before connecting, so that refused credentials are told as such, not as a failed negotiation; the connection's first start uses it.
    let firstToken: string | undefined = await accessToken().catch((error: unknown) => {
      throw new CommandFailure(reasonOf(error));
    });
    const tokenForConnection = (): Promise<string> => {
      const token = firstToken;
      firstToken = undefined;
      return token !== undefined ? Promise.resolve(token) : accessToken();
    };

    // Loaded here, not at the top: help and the other commands start without the SignalR client.
    const { HubConnectionBuilder, LogLevel } = await import('@microsoft/signalr');
    const connection = new HubConnectionBuilder()
      .withUrl(new URL(TRADE_HUB_PATH, hub).toString(), { accessTokenFactory: tokenForConnection })
      .withAutomaticReconnect()
      .configureLogging(LogLevel.None)
      .build();
    try {
      await connection.start();
    } catch (error) {
      throw new CommandFailure(`cannot connect to ${new URL(TRADE_HUB_PATH, hub).toString()}: ${reasonOf(error)}`);
    }
    const simulator = new TradeSimulator((events) => publish(connection, events), { platformId: values.platform, login: values.login, ticksPerSecond }, logger);
    try {
      await simulator.start();
    } catch (error) {
      await connection.stop();
      throw new CommandFailure(`the hub refused the simulated events: ${reasonOf(error)}`);
    }
    connection.onreconnecting(() => console.error('tradehub simulate: connection lost, reconnecting'));
    connection.onreconnected(() => console.error('tradehub simulate: reconnected'));
    let stopping = false;
    connection.onclose((error) => {
      if (stopping) return;
      simulator.stop();
      console.error(`tradehub simulate: the connection closed${error ? `: ${error.message}` : ''}`);
      process.exit(1);
    });
    console.log(`tradehub simulate: publishing platform '${values.platform}' (account ${values.login}, ${ticksPerSecond} ticks/s per symbol) to ${hub.origin}`);
    runUntilSignal({
      close: async () => {
        stopping = true;
        simulator.stop();
        await connection.stop();
      },
    }, logger);
    return 'running';
  },
};

/**
 * How the connection gets its bearer token: a fixed one, or a fresh one by client credentials
 * at each (re)connect, so that a long run outlives the access token's lifetime.
 */
function accessTokenSource(hub: URL, values: { token?: string; 'client-id'?: string; 'client-secret'?: string }, env: NodeJS.ProcessEnv): () => Promise<string> {
  const token = values.token ?? processEnv(env, 'TRADEHUB_TOKEN');
  const clientId = values['client-id'] ?? processEnv(env, 'TRADEHUB_CLIENT_ID');
  const clientSecret = values['client-secret'] ?? processEnv(env, 'TRADEHUB_CLIENT_SECRET');
  if (token !== undefined) {
    if (clientId !== undefined || clientSecret !== undefined) throw new UsageError('give a token or client credentials, not both');
    return () => Promise.resolve(token);
  }
  if (clientId === undefined || clientSecret === undefined) {
    throw new UsageError('credentials are needed: --client-id and --client-secret (or TRADEHUB_CLIENT_ID, TRADEHUB_CLIENT_SECRET), or --token (TRADEHUB_TOKEN)');
  }
  return () => fetchToken(hub, clientId, clientSecret);
}

/** One Publish call; fails (and the simulator logs and skips the batch) while the connection is down. */
async function publish(connection: HubConnection, events: TradeEventInput[]): Promise<void> {
  if (connection.state !== 'Connected') throw new Error(`not connected (${connection.state})`);
  const result = await connection.invoke<PublishResult>('Publish', events);
  if (result.results.length !== events.length) throw new Error(`the hub answered ${result.results.length} results for ${events.length} events`);
}
