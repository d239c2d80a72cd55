import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';

/**
 * A WebSocket spoken byte by byte over a TCP socket, for tests that send what no WebSocket
 * library would: frames cut short, or the same frame bytes many times without copies.
 */
export class RawWebSocket {
  /** What the server sent after its 101 answer, joined only when read. */
  private chunks: Buffer[] = [];
  ended = false;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
    });
    socket.on('close', () => {
      this.ended = true;
    });
    // Writes into a socket the server closed fail: that is what some tests provoke.
    socket.on('error', () => undefined);
  }

  /** Opens a WebSocket to an `http://` hub URL (no negotiate: the server gives it a connection). */
  static open(url: string): Promise<RawWebSocket> {
    const target = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(target.port), target.hostname);
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end === -1) return;
        socket.off('data', onData);
        socket.off('error', reject);
        if (!head.subarray(0, end).toString('latin1').startsWith('HTTP/1.1 101')) {
          reject(new Error(`upgrade refused: ${head.subarray(0, end).toString('latin1')}`));
          socket.destroy();
          return;
        }
        const raw = new RawWebSocket(socket);
        raw.chunks.push(head.subarray(end + 4));
        resolve(raw);
      };
      socket.on('data', onData);
      socket.once('error', reject);
      socket.write([
        `GET ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`, 'Upgrade: websocket', 'Connection: Upgrade',
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`, 'Sec-WebSocket-Version: 13', '', '',
      ].join('\r\n'));
    });
  }

  /** The header of a masked, final text frame announcing `length` payload bytes (RFC 6455, 5.2). */
  static frameHeader(length: number): Buffer {
    // A zero masking key leaves the payload as it is, so that one payload buffer serves every frame.
    if (length < 126) return Buffer.from([0x81, 0x80 | length, 0, 0, 0, 0]);
    if (length < 65_536) {
      const header = Buffer.from([0x81, 0x80 | 126, 0, 0, 0, 0, 0, 0]);
      header.writeUInt16BE(length, 2);
      return header;
    }
    const header = Buffer.alloc(14);
    header[0] = 0x81;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
    return header;
  }

  /** One whole text frame carrying `payload`. */
  static frame(payload: Buffer): Buffer {
    return Buffer.concat([RawWebSocket.frameHeader(payload.length), payload]);
  }

  /** Writes, waiting for the socket to drain when its buffer is full; false when the socket ended first. */
  async write(data: Buffer): Promise<boolean> {
    if (this.ended || this.socket.destroyed) return false;
    if (this.socket.write(data)) return true;
    return new Promise((resolve) => {
      const done = (drained: boolean): void => {
        this.socket.off('drain', onDrain);
        this.socket.off('close', onClose);
        resolve(drained);
      };
      const onDrain = (): void => done(true);
      const onClose = (): void => done(false);
      this.socket.on('drain', onDrain);
      this.socket.on('close', onClose);
    });
  }

  /** Everything the server sent after its 101 answer. */
  private get received(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  /** The status code of the server's Close frame, if one arrived (server frames are not masked). */
  get closeCode(): number | undefined {
    let offset = 0;
    while (offset + 2 <= this.received.length) {
      const opcode = (this.received[offset] as number) & 0x0f;
      let length = (this.received[offset + 1] as number) & 0x7f;
      let start = offset + 2;
      if (length === 126) {
        length = this.received.readUInt16BE(offset + 2);
        start += 2;
      } else if (length === 127) {
        length = Number(this.received.readBigUInt64BE(offset + 2));
        start += 8;
      }
      if (start + length > this.received.length) return undefined;
      if (opcode === 0x8) return length >= 2 ? this.received.readUInt16BE(start) : 1005;
      offset = start + length;
    }
    return undefined;
  }

  /** Everything received so far as text, frame headers included: for finding messages in. */
  get texts(): string {
    return this.received.toString('latin1');
  }

  destroy(): void {
    this.socket.destroy();
  }
}
