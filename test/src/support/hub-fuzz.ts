import assert from 'node:assert/strict';
import { JsonHubProtocol, MessagePackHubProtocol, MessageType, type HubMessage, type HubProtocol, type ParsedMessage } from '@tradehub/server';
import { assertNoLeak } from './fuzz.js';
import { RawHubSocket } from './raw-socket.js';

/** The answer of a hub to one fuzzed frame followed by a probe call. */
export type FuzzOutcome = 'served' | 'closed';

const PROBE_ID = 'fuzz-probe';
/** Generous: the machine is loaded, and a fuzzed frame may start a short stream before the probe. */
const ANSWER_TIMEOUT_MS = 10_000;
const ANY_SIZE = 64 * 1024 * 1024;

/**
 * Drives one hub connection over a raw WebSocket: sends a fuzzed payload, then a probe call,
 * and checks the hub's every answer until the probe's result (the connection survived) or a
 * Close message with an error (the hub refused the input). The hub's own parser serves as the
 * model of what it read: a Close that the payload itself sent may end the connection quietly.
 */
export class HubFuzzSession {
  private readonly reader: HubProtocol;

  private constructor(
    private readonly socket: RawHubSocket,
    readonly protocol: HubProtocol,
    private readonly probe: { target: string; args: unknown[] },
    private readonly maximumMessageSize: number,
  ) {
    this.reader = protocol.name === 'json' ? new JsonHubProtocol() : new MessagePackHubProtocol();
  }

  /** Opens a connection and completes the handshake; `probe` names a hub method that succeeds without side effects. */
  static async open(
    hubUrl: string, protocolName: 'json' | 'messagepack', probe: { target: string; args: unknown[] }, maximumMessageSize = 32 * 1024,
  ): Promise<HubFuzzSession> {
    const socket = await RawHubSocket.open(hubUrl);
    try {
      await socket.handshake(protocolName, 1);
    } catch (error) {
      socket.close();
      throw error;
    }
    return new HubFuzzSession(socket, protocolName === 'json' ? new JsonHubProtocol() : new MessagePackHubProtocol(), probe, maximumMessageSize);
  }

  close(): void {
    this.socket.close();
  }

  /** Sends one message as the protocol frames it. */
  send(message: HubMessage): void {
    const written = this.protocol.writeMessage(message);
    if (typeof written === 'string') this.socket.send(written);
    else this.socket.sendBinary(written);
  }

  /** The hub's next message other than Ping, which must be an Invocation (a server-to-client call). */
  async nextInvocation(): Promise<{ invocationId?: string; target: string }> {
    for (;;) {
      const frame = await this.socket.next(ANSWER_TIMEOUT_MS);
      const { messages } = this.reader.parseMessages(frame.data, ANY_SIZE);
      const message = messages.find((m) => m.type !== MessageType.Ping);
      if (!message) continue;
      assert.equal(messages.length, 1, 'more than the invocation in one frame');
      assert.equal(message.type, MessageType.Invocation, `expected an invocation: ${JSON.stringify(message)}`);
      return message;
    }
  }

  /** Sends `payload` (as text or binary), then the probe, and checks every answer. */
  async exchange(payload: string | Uint8Array, secrets: readonly string[] = []): Promise<FuzzOutcome> {
    if (typeof payload === 'string') this.socket.send(payload);
    else this.socket.sendBinary(payload);
    const sentClose = this.sentClose(payload);
    const probe: HubMessage = { type: MessageType.Invocation, invocationId: PROBE_ID, target: this.probe.target, arguments: this.probe.args };
    const written = this.protocol.writeMessage(probe);
    if (typeof written === 'string') this.socket.send(written);
    else this.socket.sendBinary(written);
    this.completeUnfinishedMessage(Buffer.concat([toBytes(payload), toBytes(written)]));

    let inbound = Buffer.alloc(0);
    for (;;) {
      let frame;
      try {
        frame = await this.socket.next(ANSWER_TIMEOUT_MS);
      } catch (error) {
        // Quietly closed: only right when the payload itself said goodbye.
        assert.ok(this.socket.closed && sentClose, `no Close message with an error before the end: ${String(error)}`);
        return 'closed';
      }
      const { messages, remaining, error } = this.reader.parseMessages(Buffer.concat([inbound, frame.data]), ANY_SIZE);
      assert.equal(error, undefined, `the hub sent a malformed frame: ${String(error)}`);
      inbound = Buffer.from(remaining);
      for (const message of messages) {
        assertWellFormedAnswer(message, secrets);
        if (message.type === MessageType.Close) {
          if (message.error === undefined) assert.ok(sentClose, 'a Close without error to a client that did not close');
          assert.equal((await this.socket.waitClosed(ANSWER_TIMEOUT_MS)).code, 1000, 'the WebSocket did not close normally after Close');
          return 'closed';
        }
        if (message.type === MessageType.Completion && message.invocationId === PROBE_ID) {
          assert.equal(message.error, undefined, `the probe failed: ${message.error}`);
          return 'served';
        }
      }
    }
  }

  /** Whether the hub, reading `payload` as it does, would see a Close message from the client. */
  private sentClose(payload: string | Uint8Array): boolean {
    return this.reader.parseMessages(toBytes(payload), ANY_SIZE).messages.some((message) => message.type === MessageType.Close);
  }

  /**
   * A fuzzed length prefix may announce more bytes than were sent, and then the hub rightly
   * waits for them: send filler (record separators, or zero bytes that are no MessagePack
   * message) until the model has no unfinished message left, so that the hub must answer.
   */
  private completeUnfinishedMessage(sent: Buffer): void {
    const filler = this.protocol.name === 'json' ? Buffer.from('\x1e') : Buffer.alloc(4096);
    let input = sent;
    for (;;) {
      const { remaining, error } = this.protocol.parseMessages(input, this.maximumMessageSize);
      if (error || remaining.length === 0) return;
      if (this.protocol.name === 'json') this.socket.send(filler.toString('utf8'));
      else this.socket.sendBinary(filler);
      input = Buffer.concat([input, filler]);
    }
  }
}

/** What a hub may send a client: well-formed messages whose errors say what went wrong without internals. */
function assertWellFormedAnswer(message: ParsedMessage, secrets: readonly string[]): void {
  switch (message.type) {
    case MessageType.Completion:
      assert.ok(message.invocationId.length > 0);
      assert.ok(message.error === undefined || message.result === undefined, 'a Completion with both error and result');
      if (message.error !== undefined) {
        assert.ok(message.error.length > 0, 'an empty Completion error');
        assertNoLeak(message.error, secrets);
      }
      return;
    case MessageType.Close:
      if (message.error !== undefined) assertNoLeak(message.error, secrets);
      return;
    case MessageType.Invocation:
    case MessageType.StreamItem:
    case MessageType.Ping:
    // Stateful reconnect: the hub acknowledges what it received.
    case MessageType.Ack:
    case MessageType.Sequence:
      return;
    default:
      assert.fail(`the hub sent an unexpected message: ${JSON.stringify(message)}`);
  }
}

function toBytes(payload: string | Uint8Array): Buffer {
  return typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
}
