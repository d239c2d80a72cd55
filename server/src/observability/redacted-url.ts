/** Query parameters whose values are credentials: never written to a log as they are. */
const SECRET_PARAMETER = /^(access_token|refresh_token|id_token|token|password|client_secret|secret|code)$/i;
const REDACTED = '[redacted]';

/**
 * A request target as it may be logged: the values of credential parameters (`access_token`,
 * which browsers' WebSocket and EventSource clients must send in the query, passwords, client
 * secrets) replaced, everything else kept byte for byte.
 */
export function redactedUrl(target: string): string {
  const queryStart = target.indexOf('?');
  if (queryStart < 0) return target;
  const query = target.slice(queryStart + 1).split('&').map((pair) => {
    const equals = pair.indexOf('=');
    const name = equals < 0 ? pair : pair.slice(0, equals);
    return equals >= 0 && SECRET_PARAMETER.test(decoded(name)) ? `${name}=${REDACTED}` : pair;
  });
  return `${target.slice(0, queryStart)}?${query.join('&')}`;
}

function decoded(name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}
