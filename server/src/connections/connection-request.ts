import type { IncomingMessage } from 'node:http';
import { inspect } from 'node:util';

/**
 * What hub code may read of the HTTP request that opened a connection (ASP.NET's
 * `Context.GetHttpContext().Request`): the WebSocket upgrade, the Server-Sent Events GET, or a
 * long-polling connection's first poll (later polls do not change it, as in ASP.NET).
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

const REDACTED = '[redacted]';
/** What carries a bearer token: never printed, whoever logs the request. */
const SECRET_HEADERS = new Set(['authorization', 'cookie']);
const SECRET_QUERY = new Set(['access_token']);

/**
 * The request behind a connection, kept as Node parsed it (its raw header list and target) and
 * read into maps only when hub code asks: an idle connection pays for two references, not for
 * copies (idle-connection memory is a benchmarked budget).
 */
export class ConnectionRequest implements HubHttpRequest {
  private headerMap: Map<string, string> | undefined;
  private queryMap: Map<string, string> | undefined;
  private cookieMap: Map<string, string> | undefined;

  constructor(
    readonly method: string,
    /** The request target: path and query string. */
    private readonly target: string,
    /** Name, value, name, value, ... as received (Node's `rawHeaders`). */
    private readonly rawHeaders: readonly string[],
  ) {}

  /** Stands for the request of a connection whose transport has not opened yet. */
  static readonly none = new ConnectionRequest('GET', '/', []);

  get path(): string {
    const queryStart = this.target.indexOf('?');
    return queryStart === -1 ? this.target : this.target.slice(0, queryStart);
  }

  get headers(): ReadonlyMap<string, string> {
    return (this.headerMap ??= headersOf(this.rawHeaders));
  }

  get query(): ReadonlyMap<string, string> {
    if (!this.queryMap) {
      const queryStart = this.target.indexOf('?');
      this.queryMap = new Map();
      if (queryStart !== -1) {
        for (const [name, value] of new URLSearchParams(this.target.slice(queryStart + 1))) {
          const earlier = this.queryMap.get(name);
          this.queryMap.set(name, earlier === undefined ? value : `${earlier},${value}`);
        }
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

  /** For loggers: everything but the token carriers (Authorization, Cookie, `access_token`). */
  toJSON(): { method: string; path: string; headers: Record<string, string>; query: Record<string, string> } {
    return {
      method: this.method,
      path: this.path,
      headers: redacted(this.headers, SECRET_HEADERS),
      query: redacted(this.query, SECRET_QUERY),
    };
  }

  [inspect.custom](): unknown {
    return this.toJSON();
  }
}

/**
 * The request as hub code reads it: references to what Node already parsed, nothing copied.
 * Express rewrites `url` under mounted routers; `originalUrl` is what the client sent.
 */
export function requestOf(request: IncomingMessage & { originalUrl?: string }): ConnectionRequest {
  return new ConnectionRequest(request.method ?? 'GET', request.originalUrl ?? request.url ?? '/', request.rawHeaders);
}

function headersOf(raw: readonly string[]): Map<string, string> {
  const headers = new Map<string, string>();
  for (let index = 0; index + 1 < raw.length; index += 2) {
    const name = (raw[index] as string).toLowerCase();
    const value = raw[index + 1] as string;
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

function redacted(values: ReadonlyMap<string, string>, secret: ReadonlySet<string>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of values) result[name] = secret.has(name.toLowerCase()) ? REDACTED : value;
  return result;
}
