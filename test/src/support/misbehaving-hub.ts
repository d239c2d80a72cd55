import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { HubHost, defineHub, hubMethod } from '@tradehub/server';
import { TRADE_HUB_PATH, type TradeEnvelope } from '@tradehub/shared';
import { z } from 'zod';

/** What the misbehaving trade hub answers and sends. */
export interface Misbehaviour {
  /** The answer to every Subscribe. */
  subscribeAnswer: (topics: string[]) => unknown;
  /** Invocations sent to the caller right after a Subscribe answer: [method, argument]. */
  afterSubscribe: Array<[string, unknown]>;
  /** GetServerInfo answers after this long. */
  serverInfoDelayMs: number;
}

/**
 * A SignalR hub at `/hubs/trade` built with tradehub's own server framework, that answers what a
 * test tells it to: malformed envelopes, malformed Subscribe answers, slow methods. It stands
 * for a misbehaving server; the client under test does not know the difference.
 */
export class MisbehavingHub {
  /** How many Subscribe invocations it answered. */
  subscribeCalls = 0;

  private constructor(private readonly host: HubHost, readonly baseUrl: string, readonly behaviour: Misbehaviour) {}

  static async start(behaviour: Misbehaviour): Promise<MisbehavingHub> {
    const host = new HubHost({ shutdownGraceMs: 200 });
    let self: MisbehavingHub | undefined;
    const hub = defineHub({
      methods: {
        Subscribe: hubMethod([z.array(z.string()), z.unknown().optional()], (context, topics) => {
          if (self) self.subscribeCalls++;
          // A moment after the answer, so that the client has started its consumers.
          context.afterCompletion(() => setTimeout(() => {
            for (const [method, argument] of behaviour.afterSubscribe) void context.clients.caller.send(method, argument);
          }, 50));
          return behaviour.subscribeAnswer(topics);
        }),
        Unsubscribe: hubMethod([z.array(z.string())], () => undefined),
        GetServerInfo: hubMethod([], async () => {
          await new Promise((resolve) => setTimeout(resolve, behaviour.serverInfoDelayMs));
          return { nodeId: 'misbehaving', version: '0', serverTime: Date.now() };
        }),
      },
    });
    host.mapHub({ path: TRADE_HUB_PATH, hub });
    const { port } = await host.listen(0, '127.0.0.1');
    self = new MisbehavingHub(host, `http://127.0.0.1:${port}`, behaviour);
    return self;
  }

  close(): Promise<void> {
    return this.host.close();
  }
}

/** A valid envelope of an account topic, for a misbehaving hub to send. */
export function accountEnvelope(topic: string, login: string, seq: number, epoch: string): TradeEnvelope {
  return {
    v: 1, topic, type: 'deal', platformId: 'demo', seq, epoch, time: Date.now(), hubTime: Date.now(),
    data: {
      deal: String(seq), order: String(seq), position: String(seq), login, symbol: 'EURUSD', action: 'buy', entry: 'in',
      volume: 100, price: 1.1, profit: 0, commission: 0, swap: 0, time: Date.now(),
    },
  };
}

/** An HTTP server that is not tradehub: every request gets `status` and `body`. */
export async function plainHttpServer(status: number, body: string, contentType = 'text/html'): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => {
    res.writeHead(status, { 'Content-Type': contentType });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** A TCP server that accepts connections and never answers: every wait on it must time out. */
export async function silentServer(): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: TcpServer = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** A loopback port with nothing listening (taken, then released). */
export async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
