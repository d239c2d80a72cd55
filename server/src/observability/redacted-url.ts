/**
 * Query parameters whose values are shown in logs: known to carry no credential. Every other
 * value is replaced, since a query may hold one under any name (`access_token`, which browsers'
 * WebSocket and EventSource clients must send there, a password, a connection token in `id`, or
 * a password typed into the wrong field).
 */
const SHOWN_PARAMETERS: ReadonlySet<string> = new Set(['negotiateVersion', 'useStatefulReconnect', 'transport', 'server', 'platform', 'symbol', 'timeframe', 'from', 'to', 'limit']);
const REDACTED = '[redacted]';

/** A request target as it may be logged: the path, and the query with the values of other parameters than the shown ones replaced. */
export function redactedUrl(target: string): string {
  const queryStart = target.indexOf('?');
  if (queryStart < 0) return target;
  const query = target.slice(queryStart + 1).split('&').map((pair) => {
    const equals = pair.indexOf('=');
    if (equals < 0) return pair === '' ? pair : REDACTED;
    const name = pair.slice(0, equals);
    return SHOWN_PARAMETERS.has(decoded(name)) ? pair : `${name}=${REDACTED}`;
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
