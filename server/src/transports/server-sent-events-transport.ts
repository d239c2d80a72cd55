import type { Response } from 'express';
import type { HttpConnection } from '../connections/http-connection.js';
import type { Transport } from '../connections/transport.js';
import { CoalescingWriter, MAX_COALESCED_FRAME_BYTES, socketFlushScheduler } from './coalescing-writer.js';

/**
 * Carries a connection's server-to-client messages as Server-Sent Events on one long GET
 * (TransportProtocols.md, "Server-Sent Events"); the client sends with POST. Text only. The
 * messages of one turn leave as one event (the client hands an event's data to the protocol,
 * which reads every record in it).
 */
export class ServerSentEventsTransport implements Transport {
  readonly type = 'ServerSentEvents' as const;
  readonly supportsBinary = false;
  readonly inherentKeepAlive = false;
  private ended = false;
  private readonly writer = new CoalescingWriter((event) => this.writeEvent(event), socketFlushScheduler, MAX_COALESCED_FRAME_BYTES);

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
      this.writer.discard();
      connection.transportClosed(this, false);
    });
  }

  get bufferedBytes(): number {
    return this.writer.bufferedBytes + this.response.writableLength;
  }

  send(payload: string | Uint8Array, text: boolean = typeof payload === 'string'): void {
    if (this.ended || !text) return;
    this.writer.write(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload, true);
  }

  flush(): void {
    this.writer.flush();
  }

  endFrame(): void {
    this.writer.endFrame();
  }

  private writeEvent(bytes: Uint8Array): void {
    if (this.ended) return;
    const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8');
    // Each line is one `data:` field; an empty line ends the event.
    this.response.write(`${data.split('\n').map((line) => `data: ${line}\r\n`).join('')}\r\n`);
  }

  close(): void {
    if (this.ended) return;
    // What is queued (the Close message) goes out before the stream ends.
    this.writer.flush();
    this.ended = true;
    this.response.end();
  }
}
