import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { RawHubSocket, RS } from './raw-socket.js';

/** A decoded JSON hub message. */
export type JsonMessage = Record<string, unknown>;

/** One JSON hub message followed by its record separator. */
export function frame(message: JsonMessage): string {
  return JSON.stringify(message) + RS;
}

/** An Invocation message; without an id it is fire-and-forget (no Completion). */
export function invocation(invocationId: string | undefined, target: string, args: unknown[]): JsonMessage {
  return { type: 1, ...(invocationId !== undefined ? { invocationId } : {}), target, arguments: args };
}

/** The JSON handshake request exactly as the official client writes it. */
export function handshakeRequest(protocol = 'json', version = 1): string {
  return JSON.stringify({ protocol, version }) + RS;
}

/**
 * Raw sockets opened by a test file, so that `afterEach` can end every one of them even when
 * the test failed half-way.
 */
export class SocketTracker {
  private readonly sockets: RawHubSocket[] = [];

  async open(url: string): Promise<RawHubSocket> {
    const socket = await RawHubSocket.open(url);
    this.sockets.push(socket);
    return socket;
  }

  /** Opens a socket and completes the JSON handshake on it. */
  async connected(url: string): Promise<RawHubSocket> {
    const socket = await this.open(url);
    await socket.handshake();
    return socket;
  }

  closeAll(): void {
    for (const socket of this.sockets.splice(0)) socket.close();
  }
}

export interface RefusedUpgrade {
  status: number;
  body: string;
}

/**
 * Attempts a WebSocket upgrade that is expected to be refused, and returns the HTTP status
 * and body of the refusal. Rejects if the upgrade was accepted.
 */
export function refusedUpgrade(url: string): Promise<RefusedUpgrade> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'));
    socket.on('unexpected-response', (request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        request.destroy();
      });
    });
    socket.on('open', () => {
      socket.terminate();
      reject(new Error(`the upgrade to ${url} was accepted`));
    });
    socket.on('error', (error) => reject(error));
  });
}

export interface HttpAnswer {
  status: number;
  contentType: string;
  text: string;
}

export async function http(url: string, method: string): Promise<HttpAnswer> {
  const response = await fetch(url, { method });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

export interface NegotiateAnswer {
  status: number;
  contentType: string;
  body: JsonMessage;
}

/** POSTs `{hub}/negotiate` with the query string given (without the `?`). */
export async function negotiate(hubUrl: string, query = 'negotiateVersion=1'): Promise<NegotiateAnswer> {
  const answer = await http(`${hubUrl}/negotiate${query === '' ? '' : `?${query}`}`, 'POST');
  const parsed: unknown = JSON.parse(answer.text);
  assert.ok(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed), `negotiate answered ${answer.text}`);
  return { status: answer.status, contentType: answer.contentType, body: parsed as JsonMessage };
}

/** Reads a string field, failing the test if it is not one. */
export function stringField(message: JsonMessage, name: string): string {
  const value = message[name];
  assert.equal(typeof value, 'string', `'${name}' of ${JSON.stringify(message)}`);
  return value as string;
}

/** Invokes `Echo(value)` and checks that exactly the matching Completion is the next (non-ping) message. */
export async function assertEchoes(socket: RawHubSocket, invocationId: string, value: unknown): Promise<void> {
  socket.send(frame(invocation(invocationId, 'Echo', [value])));
  assert.deepEqual(await socket.nextNonPing(), { type: 3, invocationId, result: value });
}

/**
 * Expects the server to say goodbye with exactly this Close message, and then to close the
 * WebSocket normally.
 */
export async function assertClosedWith(socket: RawHubSocket, error: string): Promise<void> {
  assert.deepEqual(await socket.nextNonPing(), { type: 7, error });
  assert.equal((await socket.waitClosed(2_000)).code, 1000);
}

/** Expects the server to close the WebSocket without sending anything more. */
export async function assertClosedWithoutMore(socket: RawHubSocket): Promise<void> {
  await assert.rejects(socket.next(2_000), /socket closed \(1000\) before a frame arrived/);
}

/** Proves the server process still serves: a fresh connection, handshake and Echo. */
export async function assertServerServes(hubUrl: string): Promise<void> {
  const socket = await RawHubSocket.open(hubUrl);
  try {
    await socket.handshake();
    await assertEchoes(socket, 'health', 'still here');
  } finally {
    socket.close();
  }
}

/** A long-polling connection opened by hand: negotiated, its first poll answered, its JSON handshake done. */
export interface RawLongPoll {
  /** The connection endpoint with `?id=`, to poll (GET) and send (POST) to. */
  url: string;
  connectionToken: string;
  /** When the poll that brought the handshake answer ended: the client has not polled since. */
  lastPollEndedAt: number;
}

/** Opens a long-polling connection without the official client, so that a test decides when (and whether) it polls. */
export async function openRawLongPoll(hubUrl: string): Promise<RawLongPoll> {
  const connectionToken = stringField((await negotiate(hubUrl)).body, 'connectionToken');
  const url = `${hubUrl}?id=${connectionToken}`;
  assert.equal((await fetch(url)).status, 200);
  await fetch(url, { method: 'POST', body: handshakeRequest() });
  const handshake = await (await fetch(url)).text();
  assert.equal(handshake, `{}${RS}`);
  return { url, connectionToken, lastPollEndedAt: Date.now() };
}
