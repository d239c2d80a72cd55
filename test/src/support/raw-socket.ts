import WebSocket from 'ws';

export const RS = '\x1e';

/**
 * A bare WebSocket to a hub, for sending what the official client never would. Every
 * received binary frame is queued; a text frame is queued as one entry per JSON record (the
 * server writes the messages of one turn in one frame, as the SignalR framing allows); `next`
 * waits for one.
 */
export class RawHubSocket {
  private readonly frames: Array<{ data: Buffer; isBinary: boolean }> = [];
  private waiter: (() => void) | undefined;
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.frames.push({ data, isBinary });
      else for (const record of splitAfterSeparators(data)) this.frames.push({ data: record, isBinary });
      this.waiter?.();
    });
    socket.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.waiter?.();
    });
    socket.on('error', () => undefined);
  }

  static open(url: string, headers: Record<string, string> = {}): Promise<RawHubSocket> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url.replace(/^http/, 'ws'), { headers });
      socket.once('open', () => resolve(new RawHubSocket(socket)));
      socket.once('unexpected-response', (_request, response) => {
        reject(new Error(`upgrade refused with ${response.statusCode}`));
      });
      socket.once('error', reject);
    });
  }

  send(text: string): void {
    this.socket.send(text);
  }

  sendBinary(bytes: Uint8Array): void {
    this.socket.send(bytes, { binary: true });
  }

  /** Sends the JSON handshake and checks that it was accepted. */
  async handshake(protocol = 'json', version = 1): Promise<void> {
    this.send(JSON.stringify({ protocol, version }) + RS);
    const answer = await this.nextText();
    if (answer !== `{}${RS}`) throw new Error(`handshake refused: ${answer}`);
  }

  /** Next frame as text; rejects if none arrives within `timeoutMs` or the socket closed. */
  async nextText(timeoutMs = 5_000): Promise<string> {
    return (await this.next(timeoutMs)).data.toString('utf8');
  }

  /** Next JSON message (one frame holding one message). */
  async nextMessage(timeoutMs = 5_000): Promise<Record<string, unknown>> {
    const text = await this.nextText(timeoutMs);
    if (!text.endsWith(RS)) throw new Error(`frame without record separator: ${JSON.stringify(text)}`);
    return JSON.parse(text.slice(0, -1)) as Record<string, unknown>;
  }

  /** Next message that is not a Ping. */
  async nextNonPing(timeoutMs = 5_000): Promise<Record<string, unknown>> {
    for (;;) {
      const message = await this.nextMessage(timeoutMs);
      if (message.type !== 6) return message;
    }
  }

  async next(timeoutMs = 5_000): Promise<{ data: Buffer; isBinary: boolean }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const frame = this.frames.shift();
      if (frame) return frame;
      if (this.closed) throw new Error(`socket closed (${this.closed.code}) before a frame arrived`);
      if (!(await this.wake(deadline))) throw new Error(`no frame within ${timeoutMs} ms`);
    }
  }

  /** Resolves when the server closed the socket; rejects after `timeoutMs`. */
  async waitClosed(timeoutMs = 5_000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (!(await this.wake(deadline))) throw new Error(`socket still open after ${timeoutMs} ms`);
    }
    return this.closed;
  }

  /** Waits for the next frame or close, up to `deadline`; false when the deadline passed first. */
  private async wake(deadline: number): Promise<boolean> {
    const remaining = deadline - Date.now();
    if (remaining <= 0) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, remaining);
      this.waiter = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.waiter = undefined;
    return true;
  }

  close(): void {
    this.socket.terminate();
  }
}

/** A text frame's records, each with its separator; text after the last separator (not SignalR framing) stays one entry. */
function splitAfterSeparators(data: Buffer): Buffer[] {
  const records: Buffer[] = [];
  let start = 0;
  for (let end = data.indexOf(0x1e); end !== -1; end = data.indexOf(0x1e, start)) {
    records.push(data.subarray(start, end + 1));
    start = end + 1;
  }
  if (start < data.length || records.length === 0) records.push(data.subarray(start));
  return records;
}
