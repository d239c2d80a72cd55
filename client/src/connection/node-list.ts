import { TRADE_HUB_PATH } from '@tradehub/shared';
import { ConfigurationError, printable } from '../errors.js';

/**
 * The tradehub nodes a client may use, as base URLs (`http://host:port`, optionally with a path
 * prefix). One is current; failover moves to the next, round the list.
 */
export class NodeList {
  private readonly urls: readonly string[];
  private index = 0;

  constructor(url: string | readonly string[]) {
    const given = typeof url === 'string' ? [url] : [...url];
    if (given.length === 0) throw new ConfigurationError('`url` must name at least one tradehub node.');
    this.urls = [...new Set(given.map(baseUrlOf))];
  }

  get current(): string {
    return this.urls[this.index] as string;
  }

  get size(): number {
    return this.urls.length;
  }

  /** Moves to the next node (round the list) and returns it. */
  advance(): string {
    this.index = (this.index + 1) % this.urls.length;
    return this.current;
  }

  /** Makes `base` current, when it is one of the nodes. */
  select(base: string): void {
    const found = this.urls.indexOf(base);
    if (found >= 0) this.index = found;
  }

  /** Every node, the current one first. */
  fromCurrent(): string[] {
    return this.urls.map((_, offset) => this.urls[(this.index + offset) % this.urls.length] as string);
  }

  /** The hub's URL on node `base`, telling the device (if any) in the query: browsers cannot set WebSocket headers. */
  static hubUrl(base: string, hubPath: string = TRADE_HUB_PATH, deviceId?: string): string {
    return `${base}${hubPath}${deviceId !== undefined ? `?device_id=${encodeURIComponent(deviceId)}` : ''}`;
  }
}

/** A node's base URL: http(s), without a trailing slash, and without the hub path when it was given. */
function baseUrlOf(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigurationError(`'${printable(url)}' is not a URL; give the node's base URL, such as http://127.0.0.1:5000.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ConfigurationError(`'${printable(url)}' must be an http: or https: URL (the client negotiates WebSockets itself).`);
  }
  if (parsed.username !== '' || parsed.password !== '' || parsed.search !== '' || parsed.hash !== '') {
    throw new ConfigurationError('A node URL must not carry credentials, a query or a fragment: give credentials as `credentials`, `token` or `tokenFactory`.');
  }
  let path = parsed.pathname.replace(/\/+$/, '');
  if (path.endsWith(TRADE_HUB_PATH)) path = path.slice(0, -TRADE_HUB_PATH.length);
  return `${parsed.origin}${path}`;
}
