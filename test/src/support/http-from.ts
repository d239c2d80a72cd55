import { request } from 'node:http';
import type { HttpAnswer } from './auth-helpers.js';

export interface RequestFrom {
  /** Loopback address to send from: 127.0.0.2, 127.0.0.3… reach a server on 127.0.0.1 as distinct callers. */
  localAddress: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** An HTTP request sent from a chosen local address (fetch cannot choose one), on its own connection. */
export function requestFrom(url: string, options: RequestFrom): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: options.method ?? 'GET',
      localAddress: options.localAddress,
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
