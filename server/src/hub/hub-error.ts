/**
 * An error whose message is meant for the client: thrown from a hub method, it reaches the
 * caller as `... HubException: <message>`, like ASP.NET's HubException. Any other error
 * reaches the client only as a generic message, unless detailed errors are on.
 */
export class HubError extends Error {
  override readonly name = 'HubException';
}

/**
 * ASP.NET's InvalidOperationException: the call is not valid in the current state. With detailed
 * errors the client sees `... InvalidOperationException: <message>`, as from a .NET hub; without,
 * only the generic text. Any error's `name` is shown the same way, so a hub can name its own
 * (`class QuoteStaleError extends Error { override name = 'QuoteStaleException' }`).
 */
export class InvalidOperationError extends Error {
  override readonly name = 'InvalidOperationException';
}
