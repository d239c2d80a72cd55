import type { CookieOptions, RequestHandler } from 'express';
import { InteropCookie } from '@tradehub/shared';

/** An hour ago: a cookie set with it is deleted at once by any client that keeps cookies. */
const EXPIRED_AN_HOUR_AGO = (): Date => new Date(Date.now() - 3_600_000);

/**
 * Every negotiate (any path with `/negotiate` in it) sets the ASP.NET test server's cookies:
 * `testCookie` and `testCookie2` to keep, and `expiredCookie` already expired, so that a client
 * can be checked to send the first two with its later requests and never the third. Over HTTPS
 * they are `SameSite=None; Secure; Partitioned`, which Chromium needs to keep them for a page of
 * another site.
 */
export function testCookies(): RequestHandler {
  return (req, res, next) => {
    if (req.path.includes('/negotiate')) {
      const attributes: CookieOptions = req.secure ? { path: '/', sameSite: 'none', secure: true, partitioned: true } : { path: '/' };
      res.cookie('testCookie', InteropCookie.testCookie, attributes);
      res.cookie('testCookie2', InteropCookie.testCookie2, attributes);
      res.cookie('expiredCookie', InteropCookie.expiredCookie, { ...attributes, expires: EXPIRED_AN_HOUR_AGO() });
    }
    next();
  };
}
