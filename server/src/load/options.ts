import { parseArgs } from 'node:util';
import {
  CONNECTIONS_PER_SOURCE_ADDRESS, DEFAULT_CONNECTIONS_PER_SOURCE_ADDRESS, LoadUsageError, defaultSourceAddresses, isLoopbackHost, parseSourceAddresses, parseTargetUrl,
} from './loopback.js';
import { SPARE_FILE_DESCRIPTORS } from './fd-limit.js';

export const SCENARIOS = ['fanout', 'many-topics', 'connect-storm', 'reconnect-storm', 'slow-consumers', 'soak'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
export type ClientMode = 'raw' | 'official';
export type WireProtocol = 'json' | 'messagepack';
export type TopicLayout = 'hot' | 'many' | 'wildcard';
export type PublishVia = 'hub' | 'rest' | 'redis';

export const MAX_CONNECTIONS = 50_000;
/** The hard cap on one run's total time, whatever the options say. */
export const MAX_TOTAL_SECONDS = 6 * 3600;

export interface LoadOptions {
  scenario: ScenarioName;
  url: URL;
  connections: number;
  /** Connections opened per second; 0: as fast as `concurrency` allows. */
  ramp: number;
  /** Connection attempts in flight at once. */
  concurrency: number;
  sourceAddresses: string[];
  mode: ClientMode;
  protocol: WireProtocol;
  clientId: string;
  clientSecret: string;
  publisherId: string;
  publisherSecret: string;
  /** A token given on the command line, used by every subscriber instead of fetching one. */
  token?: string;
  tokenPerConnection: boolean;
  platform: string;
  topics: TopicLayout;
  /** Topics published to (many, wildcard). */
  topicCount: number;
  /** Topics each subscriber follows (many). */
  topicsPerConnection: number;
  publishVia: PublishVia;
  redisUrl: string;
  /** Nodes of a Redis Cluster for --publish-via redis, instead of `redisUrl`. */
  redisCluster?: string[];
  redisKeyPrefix: string;
  /** Events per second over all publishers. */
  rate: number;
  /** Events per publish call. */
  batch: number;
  /** Seconds of publishing (after connecting). */
  duration: number;
  /** Seconds of the publishing window not measured (warm-up). */
  warmup: number;
  /** Seconds allowed for everything (connecting, publishing, draining); the run stops when they are up. */
  maxTotal: number;
  /** Seconds to wait for the last events after publishing stopped. */
  drain: number;
  slowPercent: number;
  /** soak: seconds between reconnect rounds, and the share of clients each round drops. */
  reconnectEvery: number;
  reconnectPercent: number;
  serverPid?: number;
  json?: string;
  markdown?: string;
  progress: boolean;
}

export const HELP = `tradehub-load <scenario> --url http://127.0.0.1:5000 [options]

Load-tests a tradehub node over loopback: opens many authenticated trade-hub connections,
subscribes them, publishes at a target rate and reports delivery, latency and server cost.

Scenarios:
  fanout           every subscriber on one hot topic, one publisher at --rate
  many-topics      --topic-count topics spread over the subscribers (--topics many)
  connect-storm    open --connections authenticated connections as fast as --ramp allows
  reconnect-storm  subscribe, publish, drop every socket at once, resume by (epoch, seq)
  slow-consumers   like fanout; halfway, --slow-percent of the (raw) subscribers stop reading
  soak             long fanout with periodic reconnects; per-minute delivery, latency, RSS

Target and connections:
  --url URL                 the node (http://127.0.0.1:PORT); only 127.0.0.0/8 and localhost are accepted
  --connections N           subscribers (1-${MAX_CONNECTIONS}; default 100); must fit under ulimit -n
  --ramp N                  new connections per second (default 0: as fast as --concurrency allows)
  --concurrency N           connection attempts in flight (default 50)
  --source-addresses LIST   source addresses, e.g. 127.0.0.2-127.0.0.40 or 127.0.0.2,127.0.0.3
                            (default: a fresh random 127.x.y.0/24 per run, one address per ${DEFAULT_CONNECTIONS_PER_SOURCE_ADDRESS}
                            connections from .2, so no address is crowded with sockets in TIME_WAIT)
  --mode raw|official       raw: lean SignalR over ws (default); official: @microsoft/signalr (JSON only)
  --protocol json|messagepack  hub protocol of the raw mode (default json)

Authentication:
  --client-id ID            subscribers' client (default demo-reader)
  --client-secret SECRET    (default demo-reader-secret)
  --publisher-id ID         publisher's client (default demo-publisher)
  --publisher-secret SECRET (default demo-publisher-secret)
  --token TOKEN             subscribers use this bearer token instead of fetching one
  --token-per-connection    fetch a token for every subscriber connection (a realistic connect storm)

Topics and publishing:
  --platform ID             platform of the topics (default demo)
  --topics hot|many|wildcard  hot: one tick topic; many: --topic-count topics, --topics-per-connection
                            each; wildcard: subscribers follow platforms/<id>/ticks/* (default hot;
                            many-topics defaults to many)
  --topic-count N           topics published to for many/wildcard (default 100)
  --topics-per-connection N topics each subscriber follows with many (default 1)
  --publish-via hub|rest|redis  hub Publish, POST /api/platforms/{id}/events, or the Redis ingest stream
  --redis-url URL           Redis for --publish-via redis (default redis://127.0.0.1:6379; loopback only)
  --redis-cluster H:P,...   a Redis Cluster's nodes for --publish-via redis instead (loopback only)
  --redis-key-prefix P      the node's REDIS_KEY_PREFIX (default tradehub)
  --rate N                  events per second in total (default 100)
  --batch N                 events per publish call (default 1)
  --duration S              seconds of publishing (default 10; soak 600)
  --warmup S                first seconds of publishing left out of the figures (default 1)
  --drain S                 seconds to wait for the last events after publishing (default 10)
  --max-total S             hard cap on the whole run (default duration + 120; at most ${MAX_TOTAL_SECONDS})
  --slow-percent P          slow-consumers: share of subscribers that stop reading (default 1)
  --reconnect-every S       soak: seconds between reconnect rounds (default 60)
  --reconnect-percent P     soak: share of subscribers dropped per round (default 10)

Measurement and output:
  --server-pid PID          sample the server's CPU and RSS from /proc/PID
  --json FILE               write the full report as JSON
  --markdown FILE           write a Markdown summary
  --no-progress             no live progress line (it is only shown on a TTY anyway)
  -h, --help                this text

Every loop is bounded in count and time. Latency is publish-to-receive on this host's clock: the
publisher puts its send time in the tick's \`time\`. Exit code: 0 done, 1 failed run, 2 bad options.`;

const DEFAULTS = { connections: 100, rate: 100, duration: 10, soakDuration: 600 } as const;

/** Reads the command line; throws LoadUsageError with a clear message for anything it refuses. */
export function parseLoadOptions(argv: readonly string[], openFiles?: number): LoadOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        'help': { type: 'boolean', short: 'h' },
        'url': { type: 'string' },
        'connections': { type: 'string' },
        'ramp': { type: 'string' },
        'concurrency': { type: 'string' },
        'source-addresses': { type: 'string' },
        'mode': { type: 'string' },
        'protocol': { type: 'string' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'publisher-id': { type: 'string' },
        'publisher-secret': { type: 'string' },
        'token': { type: 'string' },
        'token-per-connection': { type: 'boolean' },
        'platform': { type: 'string' },
        'topics': { type: 'string' },
        'topic-count': { type: 'string' },
        'topics-per-connection': { type: 'string' },
        'publish-via': { type: 'string' },
        'redis-url': { type: 'string' },
        'redis-cluster': { type: 'string' },
        'redis-key-prefix': { type: 'string' },
        'rate': { type: 'string' },
        'batch': { type: 'string' },
        'duration': { type: 'string' },
        'warmup': { type: 'string' },
        'drain': { type: 'string' },
        'max-total': { type: 'string' },
        'slow-percent': { type: 'string' },
        'reconnect-every': { type: 'string' },
        'reconnect-percent': { type: 'string' },
        'server-pid': { type: 'string' },
        'json': { type: 'string' },
        'markdown': { type: 'string' },
        'no-progress': { type: 'boolean' },
      },
    });
  } catch (error) {
    throw new LoadUsageError(`${(error as Error).message} (see --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length !== 1) throw new LoadUsageError(`Name one scenario: ${SCENARIOS.join(', ')} (see --help).`);
  const scenario = positionals[0] as ScenarioName;
  if (!SCENARIOS.includes(scenario)) throw new LoadUsageError(`Unknown scenario '${positionals[0]}': use one of ${SCENARIOS.join(', ')}.`);
  if (values.url === undefined) throw new LoadUsageError('--url is required (example: --url http://127.0.0.1:5000).');
  const url = parseTargetUrl(values.url);

  const connections = integer(values.connections, '--connections', DEFAULTS.connections, 1, MAX_CONNECTIONS);
  if (openFiles !== undefined && connections + SPARE_FILE_DESCRIPTORS > openFiles) {
    throw new LoadUsageError(
      `--connections ${connections} needs about ${connections + SPARE_FILE_DESCRIPTORS} open files, but ulimit -n (RLIMIT_NOFILE) is ${openFiles}: `
      + `raise it (ulimit -n ${connections + SPARE_FILE_DESCRIPTORS}) or open fewer connections.`);
  }
  const mode = choice(values.mode, '--mode', ['raw', 'official'] as const, 'raw');
  const protocol = choice(values.protocol, '--protocol', ['json', 'messagepack'] as const, 'json');
  if (mode === 'official' && protocol === 'messagepack') {
    throw new LoadUsageError('--mode official speaks JSON only here (its MessagePack protocol is a separate package); use --mode raw --protocol messagepack.');
  }
  const sourceAddresses = values['source-addresses'] !== undefined ? parseSourceAddresses(values['source-addresses']) : defaultSourceAddresses(connections);
  if (connections > sourceAddresses.length * CONNECTIONS_PER_SOURCE_ADDRESS) {
    throw new LoadUsageError(`--connections ${connections} needs at least ${Math.ceil(connections / CONNECTIONS_PER_SOURCE_ADDRESS)} source addresses (${CONNECTIONS_PER_SOURCE_ADDRESS} each); --source-addresses gives ${sourceAddresses.length}.`);
  }
  const topics = choice(values.topics, '--topics', ['hot', 'many', 'wildcard'] as const, scenario === 'many-topics' ? 'many' : 'hot');
  const topicCount = integer(values['topic-count'], '--topic-count', 100, 1, 10_000);
  const topicsPerConnection = integer(values['topics-per-connection'], '--topics-per-connection', 1, 1, 1000);
  if (topics === 'many' && topicsPerConnection > topicCount) throw new LoadUsageError('--topics-per-connection cannot exceed --topic-count.');
  const publishVia = choice(values['publish-via'], '--publish-via', ['hub', 'rest', 'redis'] as const, 'hub');
  const redisUrl = values['redis-url'] ?? 'redis://127.0.0.1:6379';
  if (publishVia === 'redis') checkRedisUrl(redisUrl);
  const redisCluster = values['redis-cluster'] !== undefined ? parseRedisCluster(values['redis-cluster']) : undefined;
  const duration = number(values.duration, '--duration', scenario === 'soak' ? DEFAULTS.soakDuration : DEFAULTS.duration, 1, MAX_TOTAL_SECONDS);
  const warmup = number(values.warmup, '--warmup', Math.min(1, duration / 4), 0, duration);
  if (warmup >= duration) throw new LoadUsageError('--warmup must be shorter than --duration.');
  const drain = number(values.drain, '--drain', 10, 0, 600);
  const maxTotal = number(values['max-total'], '--max-total', Math.min(MAX_TOTAL_SECONDS, duration + drain + 120), 1, MAX_TOTAL_SECONDS);
  const serverPid = values['server-pid'] !== undefined ? integer(values['server-pid'], '--server-pid', 0, 1, 2 ** 22) : undefined;
  const platform = values.platform ?? 'demo';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(platform)) throw new LoadUsageError(`--platform '${platform}' is not a platform id.`);
  const token = values.token;
  if (token !== undefined && values['token-per-connection']) throw new LoadUsageError('--token and --token-per-connection exclude each other.');

  return {
    scenario, url, connections, sourceAddresses, mode, protocol, topics, topicCount, topicsPerConnection, publishVia, redisUrl, duration, warmup, drain, maxTotal, platform,
    ramp: number(values.ramp?.replace(/\/s$/, ''), '--ramp', 0, 0, 1_000_000),
    concurrency: integer(values.concurrency, '--concurrency', 50, 1, 10_000),
    clientId: values['client-id'] ?? 'demo-reader',
    clientSecret: values['client-secret'] ?? 'demo-reader-secret',
    publisherId: values['publisher-id'] ?? 'demo-publisher',
    publisherSecret: values['publisher-secret'] ?? 'demo-publisher-secret',
    ...(token !== undefined ? { token } : {}),
    tokenPerConnection: values['token-per-connection'] ?? false,
    redisKeyPrefix: values['redis-key-prefix'] ?? 'tradehub',
    ...(redisCluster ? { redisCluster } : {}),
    rate: number(values.rate, '--rate', DEFAULTS.rate, 0.1, 10_000_000),
    batch: integer(values.batch, '--batch', 1, 1, 1000),
    slowPercent: number(values['slow-percent'], '--slow-percent', 1, 0, 100),
    reconnectEvery: number(values['reconnect-every'], '--reconnect-every', 60, 1, MAX_TOTAL_SECONDS),
    reconnectPercent: number(values['reconnect-percent'], '--reconnect-percent', 10, 0, 100),
    ...(serverPid !== undefined ? { serverPid } : {}),
    ...(values.json !== undefined ? { json: values.json } : {}),
    ...(values.markdown !== undefined ? { markdown: values.markdown } : {}),
    progress: !values['no-progress'],
  };
}

/** `127.0.0.1:7000,127.0.0.1:7001`: loopback nodes only, as for --redis-url. */
function parseRedisCluster(text: string): string[] {
  const nodes = text.split(',').map((node) => node.trim()).filter((node) => node !== '');
  if (nodes.length === 0) throw new LoadUsageError('--redis-cluster needs at least one HOST:PORT.');
  for (const node of nodes) {
    const host = /^([^\s:/]+):\d{1,5}$/.exec(node)?.[1];
    if (host === undefined) throw new LoadUsageError(`--redis-cluster node '${node.slice(0, 60)}' is not HOST:PORT.`);
    if (!isLoopbackHost(host)) {
      throw new LoadUsageError(`--redis-cluster host '${host}' is not a loopback address: tradehub-load only targets 127.0.0.0/8 or localhost.`);
    }
  }
  return nodes;
}

function checkRedisUrl(text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LoadUsageError(`--redis-url '${text}' is not a URL (example: redis://127.0.0.1:6379).`);
  }
  if (url.protocol !== 'redis:') throw new LoadUsageError('--redis-url must be redis://HOST:PORT.');
  const host = url.hostname;
  if (!isLoopbackHost(host)) {
    throw new LoadUsageError(`--redis-url host '${host}' is not a loopback address: tradehub-load only targets 127.0.0.0/8 or localhost.`);
  }
}

function number(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) throw new LoadUsageError(`${name} must be a number, not '${text}'.`);
  if (value < min || value > max) throw new LoadUsageError(`${name} must be between ${min} and ${max}, not ${value}.`);
  return value;
}

function integer(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
  const value = number(text, name, fallback, min, max);
  if (!Number.isInteger(value)) throw new LoadUsageError(`${name} must be a whole number, not '${text}'.`);
  return value;
}

function choice<T extends string>(text: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (text === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(text)) throw new LoadUsageError(`${name} must be one of ${allowed.join(', ')}, not '${text}'.`);
  return text as T;
}
