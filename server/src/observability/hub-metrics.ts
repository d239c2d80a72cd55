import { Gauge, Histogram, type Registry } from 'prom-client';
import type { TransportType } from '../connections/transport.js';
import { CounterCells, type CounterCell } from './counter-cells.js';

/** Why a connection ended, as ASP.NET's `signalr.connection.status` says it (plus `error`). */
export type ConnectionCloseStatus = 'normal_closure' | 'timeout' | 'app_shutdown' | 'error';

/** Transport names as ASP.NET's SignalR meters write them. */
const TRANSPORT_LABELS: Record<TransportType, string> = {
  WebSockets: 'web_sockets',
  ServerSentEvents: 'server_sent_events',
  LongPolling: 'long_polling',
};

/** The `method` label of every invocation whose name the hub does not declare: one series, whatever clients send. */
export const UNKNOWN_METHOD = '_unknown';

type ConnectionLabel = 'hub' | 'transport' | 'protocol';

/**
 * The connection and invocation instruments of every hub of a node, named as ASP.NET Core's
 * SignalR meters where they overlap (`signalr_server_*`), tradehub's own otherwise. Labels take
 * hub names, transports, protocols and declared method names only: bounded by the code.
 */
export class HubMetricsFamily {
  readonly activeConnections: Gauge<ConnectionLabel>;
  readonly connectionDuration: Histogram<ConnectionLabel | 'status'>;
  readonly messages: CounterCells<'hub' | 'direction'>;
  readonly bytes: CounterCells<'hub' | 'direction'>;
  readonly invocations: CounterCells<'hub' | 'method' | 'outcome'>;
  readonly invocationDuration: Histogram<'hub' | 'method'>;
  /** Connections closed because their client did not read fast enough, by endpoint (a hub's name, or `ws`). */
  readonly slowConsumerCloses: CounterCells<'endpoint'>;

  constructor(registry: Registry) {
    this.activeConnections = new Gauge({
      name: 'signalr_server_active_connections',
      help: 'Hub connections open now (handshake done), by hub, transport and protocol.',
      labelNames: ['hub', 'transport', 'protocol'],
      registers: [registry],
    });
    this.connectionDuration = new Histogram({
      name: 'signalr_server_connection_duration_seconds',
      help: 'How long hub connections lasted, by hub, transport, protocol and close status (normal_closure, timeout, app_shutdown, error).',
      labelNames: ['hub', 'transport', 'protocol', 'status'],
      buckets: [0.01, 0.1, 1, 10, 60, 300, 1800, 3600, 14400, 86400],
      registers: [registry],
    });
    this.messages = new CounterCells(registry, 'tradehub_hub_messages_total', 'Hub protocol messages received (in) and sent (out), by hub.', ['hub', 'direction']);
    this.bytes = new CounterCells(registry, 'tradehub_hub_bytes_total', 'Bytes of hub traffic received (in) and of hub messages sent (out), by hub.', ['hub', 'direction']);
    this.invocations = new CounterCells(registry, 'tradehub_hub_invocations_total',
      `Hub method calls, by hub, method (declared names; ${UNKNOWN_METHOD} for any other) and outcome (ok, error, refused).`, ['hub', 'method', 'outcome']);
    this.invocationDuration = new Histogram({
      name: 'tradehub_hub_invocation_duration_seconds',
      help: 'How long hub method calls took (streams: until their last item), by hub and declared method.',
      labelNames: ['hub', 'method'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
      registers: [registry],
    });
    this.slowConsumerCloses = new CounterCells(registry, 'tradehub_slow_consumer_closes_total',
      'Connections closed because their client did not read its messages fast enough, by endpoint (hub name, or ws).', ['endpoint']);
  }

  /** The instruments of one hub, bound to its name and declared methods: made once, when the hub is mapped. */
  forHub(hub: string, methods: readonly string[]): HubInstruments {
    return new HubInstruments(this, hub, methods);
  }
}

/** One declared method's (or the unknown ones') series, bound once. */
export interface MethodInstruments {
  readonly ok: CounterCell;
  readonly error: CounterCell;
  readonly refused: CounterCell;
  /** Records a call that ran for `seconds`. */
  observe(seconds: number): void;
}

/** What one connection was counted under, to count its end the same way. */
export interface CountedConnection {
  readonly transport: string;
  readonly protocol: string;
  readonly openedAt: number;
}

/** The instruments of one hub, with their series bound, so that per-message code only adds to numbers. */
export class HubInstruments {
  readonly inbound: { readonly messages: CounterCell; readonly bytes: CounterCell };
  readonly outbound: { readonly messages: CounterCell; readonly bytes: CounterCell };
  readonly slowConsumerCloses: CounterCell;
  private readonly methods = new Map<string, MethodInstruments>();
  private readonly unknown: MethodInstruments;

  constructor(private readonly family: HubMetricsFamily, readonly hub: string, methods: readonly string[]) {
    this.inbound = { messages: family.messages.cell({ hub, direction: 'in' }), bytes: family.bytes.cell({ hub, direction: 'in' }) };
    this.outbound = { messages: family.messages.cell({ hub, direction: 'out' }), bytes: family.bytes.cell({ hub, direction: 'out' }) };
    this.slowConsumerCloses = family.slowConsumerCloses.cell({ endpoint: hub });
    for (const method of methods) this.methods.set(method, this.bindMethod(method));
    this.unknown = this.bindMethod(UNKNOWN_METHOD);
  }

  /** The series of a method by its declared name; a name the hub does not declare shares one. */
  method(declaredName: string | undefined): MethodInstruments {
    return (declaredName === undefined ? undefined : this.methods.get(declaredName)) ?? this.unknown;
  }

  connectionOpened(transport: TransportType, protocol: string): CountedConnection {
    const counted = { transport: TRANSPORT_LABELS[transport], protocol, openedAt: performance.now() };
    this.family.activeConnections.inc({ hub: this.hub, transport: counted.transport, protocol });
    return counted;
  }

  connectionClosed(counted: CountedConnection, status: ConnectionCloseStatus): void {
    const labels = { hub: this.hub, transport: counted.transport, protocol: counted.protocol };
    this.family.activeConnections.dec(labels);
    this.family.connectionDuration.observe({ ...labels, status }, (performance.now() - counted.openedAt) / 1000);
  }

  private bindMethod(method: string): MethodInstruments {
    const { invocations, invocationDuration } = this.family;
    const duration = invocationDuration.labels({ hub: this.hub, method });
    return {
      ok: invocations.cell({ hub: this.hub, method, outcome: 'ok' }),
      error: invocations.cell({ hub: this.hub, method, outcome: 'error' }),
      refused: invocations.cell({ hub: this.hub, method, outcome: 'refused' }),
      observe: (seconds) => duration.observe(seconds),
    };
  }
}
