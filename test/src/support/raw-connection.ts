import { createRequire } from 'node:module';
import { HttpTransportType, LogLevel, TransferFormat } from '@microsoft/signalr';
import type { HttpConnection as OfficialHttpConnection } from '@microsoft/signalr/dist/esm/HttpConnection.js';

const require = createRequire(import.meta.url);

/**
 * The official client's connection without a hub protocol. The package does not export it; the
 * ASP.NET suite imports it from the package's files the same way. CommonJS, as `@microsoft/signalr`
 * itself loads in Node, so that both share one module graph.
 */
export const HttpConnection = (require('@microsoft/signalr/dist/cjs/HttpConnection.js') as { HttpConnection: typeof OfficialHttpConnection }).HttpConnection;
export type HttpConnection = OfficialHttpConnection;

/** What a raw connection received, and how it ended. */
export interface RawSession {
  connection: HttpConnection;
  received: Array<string | ArrayBuffer>;
  /** Resolves with the close error (or undefined) once the connection closed. */
  closed: Promise<Error | undefined>;
}

/** Starts an official raw connection on one transport and records what it receives. */
export async function openRaw(
  url: string,
  transport: HttpTransportType,
  format: TransferFormat = TransferFormat.Text,
  options: { withCredentials?: boolean; skipNegotiation?: boolean } = {},
): Promise<RawSession> {
  const logger = process.env.SIGNALR_LOG === '1' ? LogLevel.Debug : LogLevel.None;
  const connection = new HttpConnection(url, { transport, logger, ...options });
  const received: Array<string | ArrayBuffer> = [];
  connection.onreceive = (data) => {
    received.push(data);
  };
  const closed = new Promise<Error | undefined>((resolve) => {
    connection.onclose = (error) => resolve(error);
  });
  await connection.start(format);
  return { connection, received, closed };
}

/** Bytes of a received binary payload (the Node client gives ArrayBuffers). */
export function bytesOf(data: string | ArrayBuffer): number[] {
  if (typeof data === 'string') throw new Error(`expected binary data, received text '${data}'`);
  return [...new Uint8Array(data)];
}
