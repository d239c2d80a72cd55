import { HubError } from './hub-error.js';

/** Error texts in ASP.NET Core SignalR's wording (DefaultHubDispatcher, ErrorMessageHelper), which clients match on. */
export const ErrorMessages = {
  unexpected: (target: string) => `An unexpected error occurred invoking '${target}' on the server.`,
  bindingFailed: (target: string) => `Failed to invoke '${target}' due to an error on the server.`,
  methodDoesNotExist: 'HubException: Method does not exist.',
  unauthorized: (target: string) => `Failed to invoke '${target}' because user is unauthorized`,
  streamingWithInvoke: (target: string) =>
    `The client attempted to invoke the streaming '${target}' method with a non-streaming invocation.`,
  nonStreamingWithStream: (target: string) =>
    `The client attempted to invoke the non-streaming '${target}' method with a streaming invocation.`,
  streamingFailed: 'An error occurred on the server while streaming results.',
  invocationIdInUse: (invocationId: string) => `Invocation ID '${invocationId}' is already in use.`,
  notAsyncIterable: (method: string) => `The value returned by the streaming method '${method}' is not an async iterable.`,
  /** Sent as a HubError's message, after `unexpected(target)`. */
  streamCountMismatch: (sent: number, expected: number) => `Client sent ${sent} stream(s), Hub method expects ${expected}.`,
  /** tradehub's own: ASP.NET does not check stream ids. Sent as a HubError's message. */
  streamIdInUse: (streamId: string) => `Stream ID '${streamId}' is already in use.`,
  /** tradehub's own limit (`maximumStreamsPerClient`). Sent as a HubError's message. */
  tooManyStreams: (limit: number) => `Too many streams are open on this connection (at most ${limit}).`,
  /** tradehub's own limit (`maximumClientStreamsPerClient`). Sent as a HubError's message. */
  tooManyClientStreams: (limit: number) => `Too many client streams are open on this connection (at most ${limit}).`,
  connectionClosedWithError: 'Connection closed with an error.',
  handshakeFailed: 'An unexpected error occurred during connection handshake.',
  handshakeCanceled: 'Handshake was canceled.',
  protocolNotSupported: (protocol: string) => `The protocol '${protocol}' is not supported.`,
  versionNotSupported: (protocol: string, version: number) =>
    `The server does not support version ${version} of the '${protocol}' protocol.`,
  transferFormatNotSupported: (protocol: string, format: string) =>
    `Cannot use the '${protocol}' protocol on the current transport. The transport does not support '${format}' transfer format.`,
} as const;

/**
 * Appends `<Type>: <message>` when the client may see it: always for HubError (its message
 * is written for clients), for other errors only when detailed errors are enabled.
 */
export function withErrorDetail(message: string, error: unknown, detailedErrors: boolean): string {
  if (error instanceof HubError || (detailedErrors && error instanceof Error)) {
    return `${message} ${error.name}: ${error.message}`;
  }
  return message;
}
