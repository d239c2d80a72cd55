import type { RequestHandler } from 'express';
import helmet from 'helmet';

export interface SecurityHeadersOptions {
  /**
   * `Strict-Transport-Security` max-age in seconds; 0 sends none. Browsers honour the header only
   * on HTTPS answers (RFC 6797 section 8.1), so on plain HTTP it is inert; behind a TLS proxy it
   * keeps browsers from ever using plain HTTP for this host again.
   */
  hstsMaxAgeSeconds: number;
  /** Whether HSTS also covers every subdomain of the host (only when they all serve HTTPS). */
  hstsIncludeSubDomains: boolean;
}

/** One year, helmet's default; no subdomains, since the hub cannot know what else runs under its name. */
export const DEFAULT_SECURITY_HEADERS: SecurityHeadersOptions = { hstsMaxAgeSeconds: 31_536_000, hstsIncludeSubDomains: false };

/**
 * The same headers on every answer (API JSON, errors, negotiate, long polling, SSE): nothing the
 * hub serves is meant to be rendered, framed or sniffed, so the content security policy allows
 * nothing. Pages (the dashboard) replace that policy with their own. CORS headers are set
 * separately and untouched; `Cross-Origin-Resource-Policy: same-origin` concerns only no-cors
 * loads (images, scripts), never the CORS requests that pages of allowed origins make.
 */
export function securityHeaders(options: SecurityHeadersOptions = DEFAULT_SECURITY_HEADERS): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
    },
    strictTransportSecurity: options.hstsMaxAgeSeconds > 0
      ? { maxAge: options.hstsMaxAgeSeconds, includeSubDomains: options.hstsIncludeSubDomains }
      : false,
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}
