import type { IncomingMessage } from 'node:http';
import { inspect } from 'node:util';

/**
 * What hub code may read of the HTTP request that opened a connection (ASP.NET's
 * `Context.GetHttpContext().Request`): the WebSocket upgrade, the Server-Sent Events GET, or a
 * long-polling connection's first poll (later polls do not change it, as in ASP.NET).
 *
 * Unlike ASP.NET, the access token is not kept: neither the `Authorization` header nor the
 * `access_token` query value is here (`context.user` is what the token proved). Nothing a hub
 * reads here can then leak it, and an idle connection does not hold its bytes.
 */
export interface HubHttpRequest {
  readonly method: string;
  /** The path as the client wrote it, in its letter case. */
  readonly path: string;
  /** By lower-case name; several values of one header are joined with `, ` (cookies with `; `). */
  readonly headers: ReadonlyMap<string, string>;
  /** Query string values by name; a name given several times has its values joined with `,`, as .NET's StringValues. */
  readonly query: ReadonlyMap<string, string>;
  /** The `Cookie` header's cookies by name (the first of a repeated name). */
  readonly cookies: ReadonlyMap<string, string>;
  /** One header by name, in any letter case. */
  header(name: string): string | undefined;
}

/** Where clients put their bearer token: dropped as the request is kept. */
const TOKEN_HEADER = 'authorization';
const TOKEN_QUERY = 'access_token';
/** Between names and values of the packed headers: no header name or value can hold a line feed. */
const SEPARATOR = '\n';

/**
 * The request behind a connection, kept small: its target and its headers packed into one string
 * each, read into maps only when hub code asks. Idle connections are most connections, and their
 * memory is a benchmarked budget; Node's own request object (and its array of header strings)
 * would cost several times as much to keep.
 */
export class ConnectionRequest implements HubHttpRequest {
  /** Path and query string, without the access token. */
  private readonly target: string;
  /** name SEPARATOR value SEPARATOR name ..., as received, without the Authorization header. */
  private readonly packedHeaders: string;
  private headerMap: Map<string, string> | undefined;
  private queryMap: Map<string, string> | undefined;
  private cookieMap: Map<string, string> | undefined;

  /**
   * @param target the request target (path and query)
   * @param rawHeaders name, value, name, value, ... (Node's `rawHeaders`)
   */
  constructor(readonly method: string, target: string, rawHeaders: readonly string[]) {
    this.target = withoutAccessToken(target);
    this.packedHeaders = packHeaders(rawHeaders);
  }

  /** Stands for the request of a connection whose transport has not opened yet. */
  static readonly none = new ConnectionRequest('GET', '/', []);

  get path(): string {
    const queryStart = this.target.indexOf('?');
    return queryStart === -1 ? this.target : this.target.slice(0, queryStart);
  }

  get headers(): ReadonlyMap<string, string> {
    return (this.headerMap ??= unpackHeaders(this.packedHeaders));
  }

  get query(): ReadonlyMap<string, string> {
    if (!this.queryMap) {
      this.queryMap = new Map();
      for (const [name, value] of queryOf(this.target)) {
        const earlier = this.queryMap.get(name);
        this.queryMap.set(name, earlier === undefined ? value : `${earlier},${value}`);
      }
    }
    return this.queryMap;
  }

  get cookies(): ReadonlyMap<string, string> {
    return (this.cookieMap ??= cookiesOf(this.header('cookie')));
  }

  header(name: string): string | undefined {
    return this.headers.get(name.toLowerCase());
  }

  /** For loggers: cookies may hold sessions, so their values are not shown (the token is not kept at all). */
  toJSON(): { method: string; path: string; headers: Record<string, string>; query: Record<string, string> } {
    const headers = Object.fromEntries(this.headers);
    if (headers.cookie !== undefined) headers.cookie = '[redacted]';
    return { method: this.method, path: this.path, headers, query: Object.fromEntries(this.query) };
  }

  [inspect.custom](): unknown {
    return this.toJSON();
  }
}

/**
 * The request as hub code reads it. Express rewrites `url` under mounted routers;
 * `originalUrl` is what the client sent.
 */
export function requestOf(request: IncomingMessage & { originalUrl?: string }): ConnectionRequest {
  return new ConnectionRequest(request.method ?? 'GET', request.originalUrl ?? request.url ?? '/', request.rawHeaders);
}

function queryOf(target: string): URLSearchParams {
  const queryStart = target.indexOf('?');
  return new URLSearchParams(queryStart === -1 ? '' : target.slice(queryStart + 1));
}

function withoutAccessToken(target: string): string {
  // Most requests carry no token in the query: their target is kept as it is, not copied.
  const queryStart = target.indexOf('?');
  if (queryStart === -1 || !target.includes('token', queryStart)) return target;
  // Pair by pair, the others kept byte for byte (URLSearchParams would re-encode them): this runs
  // on every authenticated connect. Names are compared decoded, as the token reader reads them.
  const kept = target.slice(queryStart + 1).split('&').filter((pair) => queryName(pair) !== TOKEN_QUERY);
  const rest = kept.join('&');
  const path = target.slice(0, queryStart);
  // A copy: V8 keeps a slice (or a concatenation) of a string as a view of its parts, so the
  // whole target, token included, would stay alive with it.
  return Buffer.from(rest === '' ? path : `${path}?${rest}`, 'utf8').toString('utf8');
}

/** The decoded name of one `name=value` pair of a query string (`+` is a space there). */
function queryName(pair: string): string {
  const equals = pair.indexOf('=');
  const raw = equals === -1 ? pair : pair.slice(0, equals);
  // Plain names (`access_token`, `id`) need no decoding: the common case, on every connect.
  if (!raw.includes('%') && !raw.includes('+')) return raw;
  const name = raw.replaceAll('+', ' ');
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

function packHeaders(raw: readonly string[]): string {
  const kept: string[] = [];
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = raw[index] as string;
    if (name.toLowerCase() !== TOKEN_HEADER) kept.push(name, raw[index + 1] as string);
  }
  return kept.join(SEPARATOR);
}

function unpackHeaders(packed: string): Map<string, string> {
  const headers = new Map<string, string>();
  if (packed === '') return headers;
  const parts = packed.split(SEPARATOR);
  for (let index = 0; index + 1 < parts.length; index += 2) {
    const name = (parts[index] as string).toLowerCase();
    const value = parts[index + 1] as string;
    const earlier = headers.get(name);
    headers.set(name, earlier === undefined ? value : `${earlier}${name === 'cookie' ? '; ' : ', '}${value}`);
  }
  return headers;
}

/** `a=1; b=2` as a map, values unquoted and `%XX`-unescaped as ASP.NET's request cookies are. */
function cookiesOf(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (header === undefined) return cookies;
  for (const pair of header.split(';')) {
    const equals = pair.indexOf('=');
    if (equals <= 0) continue;
    const name = pair.slice(0, equals).trim();
    if (name === '' || cookies.has(name)) continue;
    let value = pair.slice(equals + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    cookies.set(name, decodeCookieValue(value));
  }
  return cookies;
}

function decodeCookieValue(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
