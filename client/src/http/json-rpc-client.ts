import type { TradeRpcMethodName, TradeRpcMethods } from '@tradehub/shared';
import { JsonRpcCallError, MalformedServerMessageError } from '../errors.js';
import { apiRequest, type ApiContext } from './authorized-request.js';

/**
 * JSON-RPC 2.0 at `POST /rpc` (`client.rpc`), typed by the shared `TradeRpcMethods`. An error
 * object becomes `JsonRpcCallError` with its `rpcCode` (see `JsonRpcErrorCode`).
 */
export class JsonRpcClient {
  private nextId = 1;

  constructor(private readonly context: ApiContext) {}

  async call<M extends TradeRpcMethodName>(method: M, params: TradeRpcMethods[M]['params']): Promise<TradeRpcMethods[M]['result']> {
    const id = this.nextId++;
    const answer = await apiRequest(this.context, 'POST', '/rpc', { jsonrpc: '2.0', method, params, id });
    const body = answer.json;
    if (typeof body !== 'object' || body === null || Array.isArray(body) || !('jsonrpc' in body) || body.jsonrpc !== '2.0') {
      throw new MalformedServerMessageError('JSON-RPC response', 'not a JSON-RPC 2.0 response object');
    }
    if ('error' in body && typeof body.error === 'object' && body.error !== null) {
      const error = body.error as { code?: unknown; message?: unknown; data?: unknown };
      throw new JsonRpcCallError(method, typeof error.code === 'number' ? error.code : 0, typeof error.message === 'string' ? error.message : '', error.data);
    }
    if (!('result' in body) || !('id' in body) || body.id !== id) {
      throw new MalformedServerMessageError('JSON-RPC response', `no result for request ${id}`);
    }
    return body.result as TradeRpcMethods[M]['result'];
  }
}
