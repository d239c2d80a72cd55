/** What the profile scripts share: waiting for a spawned tradehub, a reader token, one idle authenticated connection. */
import type { ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { WebSocket } from 'ws';
import { loopbackBlockFor, sourceAddressFor } from '../driver/spec.js';

const RS = '\x1e';
/** This process's source /24: a fresh one per run, clear of the last run's sockets in TIME_WAIT. */
const addressBlock = loopbackBlockFor(randomInt(0, 254 * 256));

export async function waitForServer(base: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`server exited with ${server.exitCode}`);
    const up = await fetch(`${base}/health`).then(() => true, () => false);
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('server did not start');
}

export async function readerToken(base: string): Promise<string> {
  const response = await fetch(`${base}/connect/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'demo-reader', client_secret: 'demo-reader-secret' }),
  });
  const body = await response.json() as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${response.status}`);
  return body.access_token;
}

/** Opens one trade-hub WebSocket, answers the JSON handshake and resolves once the server accepted it. */
export function openIdle(url: string, index: number): Promise<WebSocket> {
  const localAddress = sourceAddressFor(index, addressBlock);
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { localAddress, perMessageDeflate: false });
    socket.on('open', () => socket.send(`{"protocol":"json","version":1}${RS}`));
    socket.once('message', (data: Buffer) => {
      if (data.toString() !== `{}${RS}`) reject(new Error(`handshake refused: ${data.toString()}`));
      else resolve(socket);
    });
    socket.on('error', reject);
  });
}
