import type { RequestHandler } from 'express';

/**
 * The URL of a request target, origin-form (`/path?query`) or absolute-form. Node's HTTP parser
 * accepts targets that WHATWG URL cannot read ("//", "/\", a port out of range in absolute
 * form): those give undefined, so that they are refused instead of throwing in a handler.
 */
export function parseRequestTarget(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://localhost');
  } catch {
    return undefined;
  }
}

export const UNREADABLE_TARGET_DESCRIPTION = 'The request target is not a valid URL.';

/** First middleware of the host: every later handler may read the request's URL without a guard. */
export const refuseUnreadableTarget: RequestHandler = (req, res, next) => {
  if (parseRequestTarget(req.originalUrl)) {
    next();
    return;
  }
  res.status(400).json({ error: 'invalid_request', error_description: UNREADABLE_TARGET_DESCRIPTION });
};
