import { randomUUID } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Level, Logger } from 'pino';
import { redactedUrl } from '../observability/redacted-url.js';

/** The level of the access log line of each request; `off` logs none. */
export type AccessLogLevel = Level | 'off';

/** An X-Request-Id taken as it came: short, and nothing that could forge log structure or a header. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:/+=@-]{1,128}$/;

/**
 * Gives every HTTP request an id (the caller's `X-Request-Id` when sane, a new one otherwise),
 * echoed in the answer's `X-Request-Id`, a logger whose lines carry it (`requestLogger`), and an
 * access log line when it ends, its URL without credentials.
 */
export function requestLogging(logger: Logger, accessLogLevel: AccessLogLevel): RequestHandler {
  return (req, res, next) => {
    const offered = req.headers['x-request-id'];
    const requestId = typeof offered === 'string' && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    const requestLog = logger.child({ requestId });
    res.locals.logger = requestLog;
    if (accessLogLevel !== 'off' && requestLog.isLevelEnabled(accessLogLevel)) {
      const startedAt = performance.now();
      res.once('close', () => {
        requestLog[accessLogLevel]({
          method: req.method,
          url: redactedUrl(req.originalUrl),
          status: res.statusCode,
          durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
          remoteAddress: req.ip,
          // An answer cut off (the client left, or a long poll ended with the server).
          ...(res.writableFinished ? {} : { aborted: true }),
        }, 'http request');
      });
    }
    next();
  };
}

/** The request's logger (its lines carry the request id); `fallback` outside `requestLogging`. */
export function requestLogger(res: Response, fallback: Logger): Logger {
  const logger: unknown = res.locals.logger;
  return (logger as Logger | undefined) ?? fallback;
}
