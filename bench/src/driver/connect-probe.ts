/**
 * The connect-rate workload's client: the least a client can do to be connected, so that the
 * one-core load generator is not what limits the figure. `ws`'s client costs ~360 µs of the
 * generator's CPU per connect (an http.ClientRequest, its key, its WebSocket object), as much as
 * the servers spend answering; this costs a TCP connect, an upgrade request and the protocol's
 * first exchange. The same for every system: an upgrade, then each step's frame (built by ws's
 * own Sender, masked as a client's must be) and the bytes that show the server answered it.
 */
import { connect, type Socket } from 'node:net';
import * as ws from 'ws';
import { handshakeRequest } from '../frames/signalr-frames.js';
import { SOCKET_IO_CONNECT, SOCKET_IO_PATH } from '../frames/socketio-frames.js';
import type { SystemId } from '../results.js';
import { protocolOf, signalRPath } from './clients.js';

interface FrameOptions {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  mask: boolean;
  readOnly: boolean;
}
/** ws's frame builder (`Sender.frame`, a named export of its ES module), which its typings leave out. */
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: FrameOptions): Buffer[] } };

const TEXT_OPCODE = 1;
const HEADER_END = Buffer.from('\r\n\r\n');
const SWITCHING_PROTOCOLS = Buffer.from('HTTP/1.1 101 ');
/** Far more than any upgrade answer and first messages: more unread bytes than this is a failure. */
const MAX_BUFFERED_BYTES = 64 * 1024;

/** One step after the upgrade: send `send` (if any), then wait until the server's bytes contain `until`. */
export interface ProbeStep {
  send?: string;
  until: string;
}

export interface ProbeTarget {
  port: number;
  /** Path and query of the upgrade request. */
  path: string;
  localAddress: string;
  steps: readonly ProbeStep[];
  timeoutMs: number;
}

/** A client's text frame of `text`, masked, in one buffer. */
export function clientTextFrame(text: string): Buffer {
  return Buffer.concat(Sender.frame(Buffer.from(text, 'utf8'), { fin: true, rsv1: false, opcode: TEXT_OPCODE, mask: true, readOnly: false }));
}

function upgradeRequest(port: number, path: string): string {
  // The key may be any 16 bytes in base64; the answer's Accept is not checked (status 101 is what counts here).
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n`
    + 'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
}

/** Connects, upgrades and runs the steps; resolves with the open socket (the caller closes it), rejects on any refusal. */
export function probeConnect(target: ProbeTarget): Promise<Socket> {
  const frames = target.steps.map((step) => (step.send === undefined ? undefined : clientTextFrame(step.send)));
  const markers = target.steps.map((step) => Buffer.from(step.until, 'utf8'));
  return new Promise((resolve, reject) => {
    const socket = connect({ port: target.port, host: '127.0.0.1', localAddress: target.localAddress, noDelay: true });
    let received: Buffer = Buffer.alloc(0);
    /** Where the bytes after the upgrade answer start; -1 until it arrived. */
    let bodyStart = -1;
    let step = 0;
    let settled = false;
    const timer = setTimeout(() => fail('connect timed out'), target.timeoutMs);
    const fail = (reason: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(reason));
    };
    const advance = (): void => {
      while (step < markers.length) {
        const marker = markers[step] as Buffer;
        const found = received.indexOf(marker, bodyStart);
        if (found === -1) return;
        // What the step waited for arrived: only what came after it may matter to the next step.
        received = received.subarray(found + marker.length);
        bodyStart = 0;
        step++;
        const next = frames[step];
        if (step < markers.length && next) socket.write(next);
      }
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.on('data', () => undefined);
      resolve(socket);
    };
    socket.once('connect', () => socket.write(upgradeRequest(target.port, target.path)));
    socket.on('error', (error) => fail(error.message));
    socket.on('close', () => fail('closed by the server'));
    socket.on('data', (chunk: Buffer) => {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      if (received.length > MAX_BUFFERED_BYTES) return fail('too many bytes before the connection was ready');
      if (bodyStart === -1) {
        const end = received.indexOf(HEADER_END);
        if (end === -1) return;
        if (received.subarray(0, SWITCHING_PROTOCOLS.length).equals(SWITCHING_PROTOCOLS) === false) {
          return fail(`upgrade refused: ${received.subarray(0, received.indexOf('\r\n')).toString('latin1')}`);
        }
        bodyStart = end + HEADER_END.length;
        const first = frames[0];
        if (first) socket.write(first);
      }
      advance();
    });
  });
}

/** What connected means for each system: the upgrade, then its protocol's first exchange. */
export function probeStepsFor(system: SystemId, token: string | undefined): { path: string; steps: ProbeStep[] } {
  switch (system) {
    case 'ws':
      return { path: '/', steps: [] };
    case 'socketio':
      // engine.io's open packet, then the default namespace joined (SOCKET_IO_CONNECT, answered "40{sid}").
      return { path: SOCKET_IO_PATH, steps: [{ until: '0{' }, { send: SOCKET_IO_CONNECT, until: '40{' }] };
    default:
      // The SignalR handshake, answered by `{}` and the record separator.
      return { path: signalRPath(system, token), steps: [{ send: handshakeRequest(protocolOf(system)), until: '{}\x1e' }] };
  }
}
