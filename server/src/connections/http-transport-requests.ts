import type { IncomingMessage } from 'node:http';
import type { Request, Response } from 'express';
import { LongPollingTransport, type LongPollingOptions } from '../transports/long-polling-transport.js';
import { ServerSentEventsTransport } from '../transports/server-sent-events-transport.js';
import type { HttpConnection } from './http-connection.js';
import { requestOf } from './connection-request.js';
import { transportNotSupported, type TransportType } from './transport.js';

/**
 * The connection endpoint's plain HTTP requests, for the transports that are not WebSockets
 * (TransportProtocols.md): GET opens Server-Sent Events or polls, POST sends, DELETE ends a
 * long-polling connection. Status codes and texts follow ASP.NET's HttpConnectionDispatcher.
 */
export class HttpTransportRequests {
  /** Long-polling transports by connection token: they outlive their connection until its last poll. */
  private readonly longPolls = new Map<string, LongPollingTransport>();

  constructor(
    private readonly options: LongPollingOptions,
    /** The transports the endpoint offers; a GET for another one is refused. */
    private readonly transports: readonly TransportType[],
    /** Starts the application on a connection whose first transport just opened (its request is `connection.request`). */
    private readonly start: (connection: HttpConnection) => void,
  ) {}

  /**
   * A poll of a connection that has already ended: its last messages, then 204, to the caller
   * that had the connection only.
   */
  pollAfterEnd(token: string, res: Response, isCaller: (connection: HttpConnection) => boolean): boolean {
    const transport = this.longPolls.get(token);
    if (!transport || !isCaller(transport.connection)) return false;
    transport.receivePoll(res);
    return true;
  }

  handle(req: Request, res: Response, connection: HttpConnection, body: Buffer | undefined): void {
    switch (req.method) {
      case 'GET':
        return this.get(req, res, connection);
      case 'POST':
        return this.post(res, connection, body);
      case 'DELETE':
        return this.delete(res, connection);
      default:
        res.status(405).set('Allow', 'GET, POST, DELETE').type('text/plain').send('Method Not Allowed');
    }
  }

  private get(req: Request, res: Response, connection: HttpConnection): void {
    const wantsEvents = (req.headers.accept ?? '').includes('text/event-stream');
    const requested = wantsEvents ? 'ServerSentEvents' : 'LongPolling';
    if (!this.transports.includes(requested)) {
      res.status(404).type('text/plain').send(transportNotSupported(requested));
      return;
    }
    if (connection.state !== 'negotiated') {
      if (connection.transportType === requested && requested === 'LongPolling') {
        this.longPolls.get(connection.connectionToken)?.receivePoll(res);
        return;
      }
      const conflict = connection.transportType === requested;
      res.status(conflict ? 409 : 400).type('text/plain')
        .send(conflict ? 'Connection already has an active transport.' : 'Cannot change transports mid-connection');
      return;
    }
    if (wantsEvents) {
      connection.attachTransport(new ServerSentEventsTransport(res, connection), requestOf(req));
      this.start(connection);
      return;
    }
    const token = connection.connectionToken;
    const transport = new LongPollingTransport(connection, this.options, () => this.longPolls.delete(token));
    this.longPolls.set(token, transport);
    // Later polls do not replace it, as in ASP.NET: the first poll's request stands for the connection.
    connection.attachTransport(transport, requestOf(req));
    this.start(connection);
    // The first poll only starts the transport: it is answered at once, without data.
    res.status(200).end();
  }

  private post(res: Response, connection: HttpConnection, body: Buffer | undefined): void {
    if (connection.transportType === 'WebSockets') {
      res.status(405).type('text/plain').send('POST requests are not allowed for WebSocket connections.');
      return;
    }
    if (connection.state !== 'connected') {
      res.status(connection.state === 'negotiated' ? 400 : 404).type('text/plain').send('No active transport for this connection.');
      return;
    }
    if (connection.readingPaused) {
      // The official clients wait for one send's answer before the next: only others get here.
      res.status(409).type('text/plain').send('The server is not reading this connection now; wait for the previous send to be answered.');
      return;
    }
    // HTTP has no text or binary frames: the hub protocol reads the bytes as they are.
    connection.receive(body ?? Buffer.alloc(0), false);
    if (!connection.readingPaused) {
      res.status(200).end();
      return;
    }
    // Backpressure: the answer waits until the hub reads again, and the client sends nothing more meanwhile.
    void connection.whenReadingResumed().then(() => {
      if (!res.writableEnded) res.status(200).end();
    });
  }

  private delete(res: Response, connection: HttpConnection): void {
    const transport = this.longPolls.get(connection.connectionToken);
    if (connection.transportType !== 'LongPolling' || !transport) {
      res.status(400).type('text/plain').send('Cannot terminate this connection using the DELETE endpoint.');
      return;
    }
    transport.delete();
    res.status(202).end();
  }
}
