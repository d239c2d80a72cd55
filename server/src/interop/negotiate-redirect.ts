import type { RequestHandler } from 'express';

/** Where redirects send clients: the interop hub, spelled as the ASP.NET test server does (hub paths ignore case). */
const REDIRECT_TARGET_PATH = '/testHub';

/**
 * Any request under `/redirect` (the client's negotiate included) answers a negotiate redirect,
 * `{"url": "{baseUrl}/testHub?numRedirects=N"}`, with N counting every redirect this server has
 * answered (from 1), as the ASP.NET test server does; a client that reconnects is redirected again
 * and lands on the interop hub with a higher N. `baseUrl` is the query parameter of that name
 * (the suite passes the server's own address), or this server's own origin when absent.
 */
export class NegotiateRedirect {
  private redirects = 0;

  /** Redirects answered so far. */
  get count(): number {
    return this.redirects;
  }

  readonly handler: RequestHandler = (req, res) => {
    const baseUrl = redirectBase(req.query.baseUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
    if (baseUrl === undefined) {
      res.status(400).type('text/plain').send('baseUrl must be one absolute http or https URL, without query or fragment.');
      return;
    }
    this.redirects += 1;
    res.json({ url: `${baseUrl}${REDIRECT_TARGET_PATH}?numRedirects=${this.redirects}` });
  };
}

/** The redirect's base: an absolute http(s) URL without query or fragment, and without a trailing slash. */
function redirectBase(raw: unknown, own: string): string | undefined {
  if (raw === undefined) return own;
  if (typeof raw !== 'string') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') return undefined;
  return raw.replace(/\/+$/, '');
}
