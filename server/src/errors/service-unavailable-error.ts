/**
 * A dependency (the event store, the token store) cannot answer now: not the caller's fault,
 * answered 503 with Retry-After (HTTP) or the unavailability code (JSON-RPC), never as a refusal.
 */
export class ServiceUnavailableError extends Error {
  override readonly name: string = 'ServiceUnavailableError';
  /** How long a caller should wait before retrying. */
  readonly retryAfterSeconds = 5;
}
