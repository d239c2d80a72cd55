import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a loopback port in front of a server, whose open connections can be cut at
 * once, as a network failure would: no closing handshake reaches either side.
 */
export class TcpProxy {
  private readonly sockets = new Set<Socket>();
  /** Each connection's server side, by its client side. */
  private readonly pairs = new Map<Socket, Socket>();
  /** What the server sent while stalled, per client side, in order. */
  private readonly stalled = new Map<Socket, { chunks: Buffer[]; collect: (chunk: Buffer) => void }>();
  private readonly server: Server;
  port = 0;
  /** Connections accepted so far: a reconnect shows as one more. */
  accepted = 0;

  private constructor(targetPort: number) {
    this.server = createServer((client) => this.forward(client, targetPort));
  }

  static async start(targetPort: number): Promise<TcpProxy> {
    const proxy = new TcpProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    const address = proxy.server.address();
    proxy.port = typeof address === 'object' && address ? address.port : 0;
    return proxy;
  }

  /** Destroys every open connection, in both directions, without closing frames. */
  cut(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /**
   * Stops passing on what the server sends on the open connections, keeping it here: a client
   * that receives (and so acknowledges) nothing, while the server's writes still leave its socket.
   */
  stall(): void {
    for (const [client, upstream] of this.pairs) {
      if (this.stalled.has(client)) continue;
      const chunks: Buffer[] = [];
      const collect = (chunk: Buffer): void => {
        chunks.push(chunk);
      };
      upstream.unpipe(client);
      upstream.on('data', collect);
      this.stalled.set(client, { chunks, collect });
    }
  }

  /** Passes on what was kept, then everything again. */
  unstall(): void {
    for (const [client, { chunks, collect }] of this.stalled) {
      const upstream = this.pairs.get(client);
      if (!upstream) continue;
      upstream.off('data', collect);
      for (const chunk of chunks) client.write(chunk);
      upstream.pipe(client);
    }
    this.stalled.clear();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private forward(client: Socket, targetPort: number): void {
    this.accepted++;
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    this.pairs.set(client, upstream);
    client.on('close', () => {
      this.pairs.delete(client);
      this.stalled.delete(client);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  }
}
