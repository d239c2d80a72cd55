import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Router } from 'express';
import { listenOn } from './hub-host.js';

/** `/metrics` on a port of its own (`metrics.port`), away from the hubs' clients. */
export interface MetricsListener {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/** Serves `routes` (and nothing else: 404) on `host:port`; rejects when the port cannot be had. */
export async function listenForMetrics(routes: Router, port: number, host: string): Promise<MetricsListener> {
  const app = express();
  app.disable('x-powered-by');
  app.use(routes);
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Only /metrics is served on this port.');
  });
  const server = createServer(app);
  const address = await listenOn(server, port, host);
  return {
    address,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
