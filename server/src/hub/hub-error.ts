/**
 * An error whose message is meant for the client: thrown from a hub method, it reaches the
 * caller as `... HubException: <message>`, like ASP.NET's HubException. Any other error
 * reaches the client only as a generic message, unless detailed errors are on.
 */
export class HubError extends Error {
  override readonly name = 'HubException';
}
