import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
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
    const requestId = requestIdOf(req);
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

/**
 * The access log line of a WebSocket upgrade request, which never reaches Express: logged at its
 * answer, the 101 of a WebSocket that opened or whatever refused it, by whichever part answered
 * (ws, an endpoint's refusal, the host's 404). Watching the socket's first write or end is the
 * one place that sees every answer without each of them reporting it; the watch ends with it.
 * A socket closed without an answer is logged as aborted.
 */
export function logUpgrade(logger: Logger, accessLogLevel: AccessLogLevel, request: IncomingMessage, socket: Duplex): void {
  if (accessLogLevel === 'off' || !logger.isLevelEnabled(accessLogLevel)) return;
  const startedAt = performance.now();
  // Read now: once the socket is closed, Node no longer knows the peer.
  const remoteAddress = request.socket.remoteAddress;
  let logged = false;
  const log = (status: number | undefined): void => {
    if (logged) return;
    logged = true;
    logger[accessLogLevel]({
      requestId: requestIdOf(request),
      method: request.method,
      url: redactedUrl(request.url ?? ''),
      status,
      durationMs: Math.round((performance.now() - startedAt) * 10) / 10,
      remoteAddress,
      upgrade: request.headers.upgrade,
      ...(status === undefined ? { aborted: true } : {}),
    }, 'http upgrade');
  };
  // ws answers 101 with write; refusals (ws's and ours) answer with end.
  const { write, end } = socket;
  const unwatch = (): void => {
    socket.write = write;
    socket.end = end;
  };
  socket.write = function watchedWrite(this: Duplex, ...args: Parameters<Duplex['write']>): boolean {
    unwatch();
    log(statusOfAnswer(args[0]));
    return write.apply(this, args);
  } as Duplex['write'];
  socket.end = function watchedEnd(this: Duplex, ...args: Parameters<Duplex['end']>): Duplex {
    unwatch();
    log(statusOfAnswer(args[0]));
    return end.apply(this, args);
  } as Duplex['end'];
  socket.once('close', () => log(undefined));
}

/** The status code of an HTTP answer's first bytes (`HTTP/1.1 101 ...`). */
function statusOfAnswer(chunk: unknown): number | undefined {
  const head = typeof chunk === 'string' ? chunk.slice(0, 12) : Buffer.isBuffer(chunk) ? chunk.toString('latin1', 0, 12) : '';
  const match = /^HTTP\/1\.[01] (\d{3})$/.exec(head);
  return match ? Number(match[1]) : undefined;
}

/** The caller's `X-Request-Id` when sane, a new one otherwise. */
function requestIdOf(request: IncomingMessage): string {
  const offered = request.headers['x-request-id'];
  return typeof offered === 'string' && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
}

/** The request's logger (its lines carry the request id); `fallback` outside `requestLogging`. */
export function requestLogger(res: Response, fallback: Logger): Logger {
  const logger: unknown = res.locals.logger;
  return (logger as Logger | undefined) ?? fallback;
}
