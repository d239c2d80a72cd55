import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/** Answers an upgrade request with a plain HTTP error, since no WebSocket was opened to carry one. */
export function rejectUpgrade(socket: Duplex, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = Buffer.from(message, 'utf8');
  const extra = Object.entries(headers).map(([name, value]) => `${name}: ${value.replace(/[\r\n]/g, ' ')}\r\n`).join('');
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n`
    + `Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n${extra}`
    + `Content-Length: ${body.length}\r\n\r\n${message}`,
  );
}
