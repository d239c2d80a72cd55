import { TERMINAL_HUB_PATH, type TradeResult } from '@tradehub/shared';
import type { HubConnection } from '@microsoft/signalr';
import { officialClient } from './official-client.js';

/** A JSON-RPC response as `POST /rpc` answers one request. */
export interface RpcAnswer {
  status: number;
  body: { result?: unknown; error?: { code: number; message: string; data?: unknown }; id?: unknown } | undefined;
}

/** One JSON-RPC call on `POST /rpc` with a bearer token. */
export async function rpc(baseUrl: string, token: string, method: string, params: unknown, id: number | string = 1, headers: Record<string, string> = {}): Promise<RpcAnswer> {
  const response = await fetch(`${baseUrl}/rpc`, {
    method: 'POST',
    headers: { ...headers, authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', method, params, id }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text) as RpcAnswer['body'] };
}

/**
 * An official client on a node's terminal hub with a terminal token; handlers are set before it
 * starts. `query` (such as `?device_id=...`) is kept by the client on negotiate and the WebSocket.
 */
export async function terminalConnection(baseUrl: string, token: string, handlers: Record<string, (...args: never[]) => unknown> = {}, query = ''): Promise<HubConnection> {
  const connection = officialClient(`${baseUrl}${TERMINAL_HUB_PATH}${query}`, { accessTokenFactory: () => token });
  for (const [method, handler] of Object.entries(handlers)) connection.on(method, handler as (...args: unknown[]) => unknown);
  await connection.start();
  return connection;
}

/** A filled market order as a terminal answers it. */
export function filledResult(ticket: number, volume: number, price: number): TradeResult {
  return { retcode: 10009, description: 'Request executed', order: String(ticket), deal: String(ticket + 1), position: String(ticket), volume, price, time: Date.now() };
}
