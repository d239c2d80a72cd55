/**
 * JSON-RPC 2.0 error codes (https://www.jsonrpc.org/specification#error_object). The codes from
 * -32000 to -32099 are left to servers; tradehub's are defined here and nowhere else, and
 * listed in the README ("HTTP API").
 */
export const JsonRpcErrorCode = {
  /** The body is not valid JSON. */
  ParseError: -32700,
  /** The JSON is not a valid request object (or is an empty or oversized batch). */
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  /** The params do not fit the method; `data` lists each problem by param name. */
  InvalidParams: -32602,
  /** Anything unexpected; details go to the log, not to the caller. */
  InternalError: -32603,
  /** Server-defined: the token lacks the scope, or does not reach the platform or login. */
  Forbidden: -32001,
  /** Server-defined: the platform does not exist, or belongs to another organization. */
  NotFound: -32004,
  /** Server-defined: the event store cannot be reached now; `data.retryAfterSeconds` says when to retry. */
  Unavailable: -32005,
} as const;

export type JsonRpcErrorCode = (typeof JsonRpcErrorCode)[keyof typeof JsonRpcErrorCode];

/** An error a method (or the envelope handling) answers with; its message and data are shown to the caller. */
export class JsonRpcError extends Error {
  override readonly name = 'JsonRpcError';
  constructor(readonly code: JsonRpcErrorCode, message: string, readonly data?: unknown) {
    super(message);
  }
}
