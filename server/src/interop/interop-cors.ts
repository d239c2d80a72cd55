import type { RequestHandler } from 'express';
import { corsPolicy } from '../http/cors.js';

/** Pages served from this machine, on any port: where test suites run their browser half (karma, a dev server). */
const LOCAL_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/;

/**
 * The interop server's CORS: any page of a local origin, and of the `extraOrigins` given
 * (`--cors`: a suite served from another host), may call it with credentials (cookies) and any
 * request headers, as the ASP.NET test server allows its suite's browser half. Never in the
 * product, whose origins are configured one by one.
 */
export function interopCors(extraOrigins: readonly string[] = []): RequestHandler {
  const extra = new Set(extraOrigins);
  return corsPolicy({ isAllowedOrigin: (origin) => LOCAL_ORIGIN.test(origin) || extra.has(origin), allowedHeaders: 'requested', maxAgeSeconds: 600 });
}
