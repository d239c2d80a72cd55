import type { Response } from 'express';
import type { HttpConnection } from '../connections/http-connection.js';
import type { Transport } from '../connections/transport.js';

/**
 * Carries a connection's server-to-client messages as Server-Sent Events on one long GET
 * (TransportProtocols.md, "Server-Sent Events"); the client sends with POST. Text only.
 */
export class ServerSentEventsTransport implements Transport {
  readonly type = 'ServerSentEvents' as const;
  readonly supportsBinary = false;
  private ended = false;

  constructor(private readonly response: Response, connection: HttpConnection) {
    response.status(200).set({
      'Content-Type': 'text/event-stream',
      'Cache-Control': 'no-cache',
      // Proxies must pass each event on at once.
      'X-Accel-Buffering': 'no',
      Connection: 'keep-alive',
    });
    response.flushHeaders();
    // An SSE stream has no closing handshake: when it ends, the connection ends.
    response.on('close', () => {
      this.ended = true;
      connection.transportClosed(this, false);
    });
  }

  get bufferedBytes(): number {
    return this.response.writableLength;
  }

  send(payload: string | Uint8Array, text: boolean = typeof payload === 'string'): void {
    if (this.ended || !text) return;
    const message = typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.length).toString('utf8');
    // Each line of a message is one `data:` field; an empty line ends the event.
    this.response.write(`${message.split('\n').map((line) => `data: ${line}\r\n`).join('')}\r\n`);
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.response.end();
  }
}
