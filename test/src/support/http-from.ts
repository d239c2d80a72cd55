import { request } from 'node:http';
import { request as tlsRequest } from 'node:https';
import type { HttpAnswer } from './auth-helpers.js';

export interface RawRequest {
  /** Loopback address to send from: 127.0.0.2, 127.0.0.3… reach a server on 127.0.0.1 as distinct callers. */
  localAddress?: string;
  method?: string;
  /** Sent as given, `Origin` and `Cookie` included (fetch may set or drop those). */
  headers?: Record<string, string>;
  body?: string;
  /** For https: the certificate to trust (a test's self-signed one). */
  ca?: Buffer;
}

export interface RequestFrom extends RawRequest {
  localAddress: string;
}

/** An HTTP request sent from a chosen local address (fetch cannot choose one), on its own connection. */
export function requestFrom(url: string, options: RequestFrom): Promise<HttpAnswer> {
  return rawRequest(url, options);
}

/** An HTTP or HTTPS request exactly as given, on its own connection. */
export function rawRequest(url: string, options: RawRequest = {}): Promise<HttpAnswer> {
  const send = url.startsWith('https:') ? tlsRequest : request;
  return new Promise((resolve, reject) => {
    const req = send(url, {
      method: options.method ?? 'GET',
      ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      ...(options.ca ? { ca: options.ca } : {}),
      agent: false,
      headers: { Connection: 'close', ...options.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
        }
        let json: unknown;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** `n`-th extra loopback address: 127.0.0.2 for 0, and so on. */
export function loopback(n: number): string {
  return `127.0.${Math.floor((n + 2) / 256)}.${(n + 2) % 256}`;
}
