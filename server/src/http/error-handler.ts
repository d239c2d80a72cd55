import { ServiceUnavailableError } from '../errors/service-unavailable-error.js';
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { requestLogger } from './request-logging.js';

interface HttpErrorLike {
  status?: number;
  statusCode?: number;
  type?: string;
  expose?: boolean;
}

/**
 * Last stop for errors of any route: a JSON answer that names the problem without echoing
 * input (which may hold a secret), and a log line without the request's credentials.
 */
export function errorHandler(baseLogger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const logger = requestLogger(res, baseLogger);
    if (error instanceof ServiceUnavailableError) {
      logger.warn({ reason: error.message, method: req.method, path: req.path }, 'request refused: a dependency is unavailable');
      if (!res.headersSent) sendUnavailable(res, error);
      return;
    }
    const httpError = (typeof error === 'object' && error !== null ? error : {}) as HttpErrorLike;
    const status = httpError.status ?? httpError.statusCode ?? 500;
    if (status >= 500) logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
    if (res.headersSent) return;
    const description = status === 413
      ? 'The request body is too large.'
      : status < 500 && httpError.expose !== false
        ? describeClientError(httpError.type)
        : 'The request could not be completed.';
    res.status(status).json({ error: status < 500 ? 'invalid_request' : 'server_error', error_description: description });
  };
}

function describeClientError(type: string | undefined): string {
  switch (type) {
    case 'entity.parse.failed':
      return 'The request body is not valid JSON.';
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return 'The request body encoding is not supported.';
    case 'parameters.too.many':
      return 'The request has too many parameters.';
    default:
      return 'The request is invalid.';
  }
}

/** 503 with Retry-After: the caller did nothing wrong and should try again shortly. */
export function sendUnavailable(res: Response, error: ServiceUnavailableError): void {
  res.status(503).set('Retry-After', String(error.retryAfterSeconds)).set('Cache-Control', 'no-store')
    .json({ error: 'temporarily_unavailable', error_description: error.message });
}

/** Unknown routes answer JSON like every other API error, not Express's HTML page. */
export const notFoundHandler: RequestHandler = (_req, res) => {
  res.status(404).json({ error: 'not_found', error_description: 'No such endpoint.' });
};
