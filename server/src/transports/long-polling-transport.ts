import type { Response } from 'express';
import type { HttpConnection } from '../connections/http-connection.js';
import type { Transport } from '../connections/transport.js';

export interface LongPollingOptions {
  /** How long a poll is held open when nothing is queued (ASP.NET: 90 s). */
  pollTimeoutMs: number;
  /** A client that has not polled for this long is gone. */
  inactivityTimeoutMs: number;
}

/**
 * Carries a connection's server-to-client messages as answers to repeated GETs
 * (TransportProtocols.md, "Long Polling"): messages queue until a poll takes them all.
 */
export class LongPollingTransport implements Transport {
  readonly type = 'LongPolling' as const;
  readonly supportsBinary = true;
  /**
   * The official clients send no pings over long polling (it is not theirs to keep alive): the
   * polls show the client is there, and one that stops polling is ended by the inactivity timer.
   */
  readonly inherentKeepAlive = true;
  private readonly queue: Array<string | Uint8Array> = [];
  /** Whether a binary message is queued: the answer is then binary. */
  private queuedBinary = false;
  private queuedBytes = 0;
  private poll: { response: Response; timer: NodeJS.Timeout } | undefined;
  private inactivityTimer: NodeJS.Timeout | undefined;
  private ended = false;

  constructor(
    readonly connection: HttpConnection,
    private readonly options: LongPollingOptions,
    /** Called once the client has had everything, including the 204 that tells it the end. */
    private readonly onFinished: () => void,
  ) {
    this.armInactivityTimer();
  }

  get bufferedBytes(): number {
    return this.queuedBytes;
  }

  /** A poll: answered at once with what is queued, or held until something is, or until it times out. */
  receivePoll(response: Response): void {
    if (this.ended && this.queue.length === 0) {
      response.status(204).end();
      this.onFinished();
      return;
    }
    clearTimeout(this.inactivityTimer);
    // A newer poll replaces an older one, which is answered empty.
    if (this.poll) this.answer(this.poll, [], false);
    const timer = setTimeout(() => this.answerPoll(), this.options.pollTimeoutMs);
    this.poll = { response, timer };
    response.on('close', () => {
      if (this.poll?.response === response) {
        clearTimeout(timer);
        this.poll = undefined;
        this.armInactivityTimer();
      }
    });
    if (this.queue.length > 0) this.answerPoll();
  }

  send(payload: string | Uint8Array, text: boolean = typeof payload === 'string'): void {
    if (this.ended) return;
    this.queue.push(payload);
    this.queuedBytes += typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (!text) this.queuedBinary = true;
    // Messages queued in the same tick leave together.
    if (this.poll && this.queue.length === 1) setImmediate(() => this.answerPoll());
  }

  close(): void {
    if (this.ended) return;
    this.ended = true;
    // What is queued (the Close message) goes out with the next poll; the one after gets 204.
    if (this.poll) this.answerPoll();
    else this.armInactivityTimer();
  }

  /** DELETE: the client ends the connection. */
  delete(): void {
    this.close();
    this.connection.transportClosed(this, false);
  }

  private answerPoll(): void {
    const poll = this.poll;
    if (!poll) return;
    const payloads = this.queue.splice(0);
    const binary = this.queuedBinary;
    this.queuedBytes = 0;
    this.queuedBinary = false;
    this.answer(poll, payloads, binary);
    this.poll = undefined;
    this.armInactivityTimer();
  }

  private answer(poll: { response: Response; timer: NodeJS.Timeout }, payloads: Array<string | Uint8Array>, binary: boolean): void {
    clearTimeout(poll.timer);
    const body = Buffer.concat(payloads.map((payload) => (typeof payload === 'string' ? Buffer.from(payload) : payload)));
    poll.response.status(200).type(binary ? 'application/octet-stream' : 'text/plain').send(body);
  }

  private armInactivityTimer(): void {
    clearTimeout(this.inactivityTimer);
    this.inactivityTimer = setTimeout(() => {
      if (this.poll) return;
      // Gone without a DELETE: nobody will collect what is left.
      this.delete();
      this.onFinished();
    }, this.options.inactivityTimeoutMs);
    this.inactivityTimer.unref();
  }
}
