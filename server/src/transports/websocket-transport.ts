import type { Duplex } from 'node:stream';
import { WebSocket, type RawData } from 'ws';
import type { HttpConnection } from '../connections/http-connection.js';
import type { Transport } from '../connections/transport.js';
import { CoalescingWriter, MAX_COALESCED_FRAME_BYTES, socketFlushScheduler } from './coalescing-writer.js';

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * Makes every Close frame the server sends carry a status code. ws answers a client's Close by
 * calling the socket's own `close()`, without a code when the client gave none, which sends an
 * empty Close that browsers report as 1005; ASP.NET answers with 1000 NormalClosure, which the
 * ASP.NET client suite checks for.
 */
function answerCloseWithCode(socket: WebSocket): void {
  const close = socket.close.bind(socket);
  socket.close = (code?: number, reason?: string | Buffer): void => close(code ?? 1000, reason);
}

/**
 * Carries a connection over one WebSocket: text frames for text protocols, binary for binary
 * ones. Messages sent in the same turn leave together in one frame (see CoalescingWriter).
 */
export class WebSocketTransport implements Transport {
  readonly type = 'WebSockets' as const;
  readonly supportsBinary = true;
  readonly inherentKeepAlive = false;
  /** ws found the client breaking the WebSocket protocol (e.g. a frame over maxPayload: 1009). */
  private protocolError = false;
  private readonly writer: CoalescingWriter;

  /**
   * @param rawSocket the upgraded socket under `socket`: corked while a flush writes several
   *   frames, so that they reach the kernel in one write.
   */
  constructor(private readonly socket: WebSocket, connection: HttpConnection, rawSocket?: Duplex) {
    const writeTogether = rawSocket === undefined ? undefined : (write: () => void): void => {
      rawSocket.cork();
      try {
        write();
      } finally {
        rawSocket.uncork();
      }
    };
    this.writer = new CoalescingWriter((frame, text) => this.writeFrame(frame, text), socketFlushScheduler, MAX_COALESCED_FRAME_BYTES, writeTogether);
    answerCloseWithCode(socket);
    socket.on('message', (data, isBinary) => connection.receive(toBuffer(data), isBinary));
    // Any close frame ends a WebSocket on purpose (the official client sends one without a code:
    // 1005); only 1006, no close frame at all, is a drop that stateful reconnect may repair, unless
    // ws closed it itself because the client broke the protocol: such a client is not waited for.
    socket.on('close', (code) => connection.transportClosed(this, code === 1006 && !this.protocolError));
    // ws reports the client's protocol errors (a frame too large: 1009, bad framing: 1002) after
    // sending its Close frame; the socket closes later (when the client answers, or after ws's
    // 30 s close timeout), but the connection ends now. Listening also keeps the error from being thrown.
    socket.on('error', () => {
      this.protocolError = true;
      connection.transportClosed(this, false);
    });
  }

  pauseReading(): void {
    // Frames ws has already read may still be emitted; the connection holds them.
    this.socket.pause();
  }

  resumeReading(): void {
    this.socket.resume();
  }

  /** Bytes queued here for the next frame, plus those ws has not yet handed to the kernel. */
  get bufferedBytes(): number {
    return this.writer.bufferedBytes + this.socket.bufferedAmount;
  }

  send(payload: string | Uint8Array, text: boolean = typeof payload === 'string'): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.writer.write(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload, text);
  }

  flush(): void {
    this.writer.flush();
  }

  endFrame(): void {
    this.writer.endFrame();
  }

  close(): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      // What is queued (the Close message) goes out before the closing handshake.
      this.writer.flush();
      this.socket.close(1000);
    }
    this.writer.discard();
  }

  private writeFrame(frame: Uint8Array, text: boolean): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(frame, { binary: !text });
  }
}
