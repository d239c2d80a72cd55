import { createRequire } from 'node:module';
import type { RequestHandler } from 'express';
import { BAD_NEGOTIATE_BODY, InteropRoute } from '@tradehub/shared';

/** Any request under `/bad-negotiate`: the failed negotiate the ASP.NET test server answers there. */
export const badNegotiate: RequestHandler = (_req, res) => {
  res.status(400).type('text/plain').send(BAD_NEGOTIATE_BODY);
};

/**
 * Any request under `/echoredirect` goes to the same place under `/echo`, query kept, as the ASP.NET
 * test server's redirect: temporary and method-preserving (`307`), so that a client's POST negotiate
 * follows it as a POST. The target is always a path of this server: nothing in the request can make
 * it point elsewhere.
 */
export const echoRedirect: RequestHandler = (req, res) => {
  const queryAt = req.originalUrl.indexOf('?');
  const path = queryAt === -1 ? req.originalUrl : req.originalUrl.slice(0, queryAt);
  const query = queryAt === -1 ? '' : req.originalUrl.slice(queryAt);
  res.redirect(307, `${InteropRoute.Echo}${path.slice(req.baseUrl.length)}${query}`);
};

/**
 * `GET /deployment`: a JSON object naming the server, in place of the .NET test server's assembly
 * metadata (which the suite only shows, never checks).
 */
export const deployment: RequestHandler = (_req, res) => {
  res.set('Cache-Control', 'no-store').json({ Server: 'tradehub interop server', Runtime: `node ${process.version}` });
};

/**
 * `GET /lib/signalr-webworker/signalr.js`: the official client's web-worker build, from the
 * `@microsoft/signalr` package this server depends on. The suite's WebWorker spec loads it with
 * `importScripts` from a page of another origin: a no-cors load, which the hub's
 * `Cross-Origin-Resource-Policy: same-origin` would block, so this one answer allows it.
 */
export function webWorkerClient(): RequestHandler {
  const path = createRequire(import.meta.url).resolve('@microsoft/signalr/dist/webworker/signalr.js');
  return (_req, res, next) => {
    res.set('Cross-Origin-Resource-Policy', 'cross-origin').type('application/javascript');
    res.sendFile(path, (error) => {
      if (error) next(error);
    });
  };
}
