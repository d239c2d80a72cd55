import { JsonRpcErrorCode } from '@tradehub/shared';

/** The codes are part of the contract shared with clients: defined in `@tradehub/shared`, and nowhere else. */
export { JsonRpcErrorCode };

/** An error a method (or the envelope handling) answers with; its message and data are shown to the caller. */
export class JsonRpcError extends Error {
  override readonly name = 'JsonRpcError';
  constructor(readonly code: JsonRpcErrorCode, message: string, readonly data?: unknown) {
    super(message);
  }
}
