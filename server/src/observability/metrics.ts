import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { AuthMetrics } from './auth-metrics.js';
import { BackplaneMetrics } from './backplane-metrics.js';
import { HubMetricsFamily } from './hub-metrics.js';
import { TradeMetrics } from './trade-metrics.js';

/** Names of the per-connection and per-request limits, as they appear in the `limit` label. */
export type LimitName =
  | 'message_size'
  | 'handshake_size'
  | 'queued_invocations'
  | 'streams_per_connection'
  | 'client_stream_buffer'
  | 'groups_per_connection'
  | 'group_name_length'
  | 'topics_per_connection'
  | 'topic_name_length'
  | 'outbound_buffer'
  | 'login_rate'
  | 'hash_queue';

/**
 * The node's Prometheus registry. One per app (not prom-client's global one), so that several
 * nodes in one process (tests) keep their own counts.
 */
export class TradehubMetrics {
  readonly registry = new Registry();
  /** Every time a limit refused something or closed a connection. */
  readonly limitRejections: Counter<'limit'>;
  /** Connections whose reading is paused because a client stream's buffer or their queue of calls is full. */
  readonly pausedConnections: Gauge;
  /** Ticks never sent to a connection that fell behind: a newer tick of the topic replaced them. */
  readonly ticksConflated: Counter;
  readonly hubs: HubMetricsFamily;
  readonly trade: TradeMetrics;
  readonly redis: BackplaneMetrics;
  readonly auth: AuthMetrics;
  /** Terminals connected to this node's terminal hub, read from `gaugeSources` when scraped. */
  readonly terminalsOnline: Gauge;
  /** `/ws` sockets open on this node, read from `gaugeSources` when scraped. */
  readonly wsConnections: Gauge;
  /** What the gauges read when scraped; the app sets them once its parts exist. */
  readonly gaugeSources = { terminalsOnline: (): number => 0, wsConnections: (): number => 0 };

  constructor(options: { processMetrics?: boolean } = {}) {
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.limitRejections = new Counter({
      name: 'tradehub_limit_rejections_total',
      help: 'Requests, messages or connections refused or closed by a configured limit, by limit.',
      labelNames: ['limit'],
      registers: [this.registry],
    });
    this.pausedConnections = new Gauge({
      name: 'tradehub_paused_connections',
      help: 'Connections not being read because a client stream buffer or the queue of calls waiting to run is full (backpressure).',
      registers: [this.registry],
    });
    this.ticksConflated = new Counter({
      name: 'tradehub_ticks_conflated_total',
      help: 'Ticks not sent to a connection that fell behind because a newer tick of the same topic replaced them (tick conflation).',
      registers: [this.registry],
    });
    this.hubs = new HubMetricsFamily(this.registry);
    this.trade = new TradeMetrics(this.registry);
    this.redis = new BackplaneMetrics(this.registry);
    this.auth = new AuthMetrics(this.registry);
    const sources = this.gaugeSources;
    this.terminalsOnline = new Gauge({
      name: 'tradehub_terminals_online',
      help: 'Terminals connected to this node now.',
      registers: [this.registry],
      collect(this: Gauge) { this.set(sources.terminalsOnline()); },
    });
    this.wsConnections = new Gauge({
      name: 'tradehub_ws_connections',
      help: 'JSON-RPC WebSocket connections (/ws) open on this node now.',
      registers: [this.registry],
      collect(this: Gauge) { this.set(sources.wsConnections()); },
    });
  }

  limitHit(limit: LimitName): void {
    this.limitRejections.inc({ limit });
  }
}

/** For code that runs without an app (the interop server, unit tests): counts, never exported. */
export const detachedMetrics = (): TradehubMetrics => new TradehubMetrics({ processMetrics: false });
