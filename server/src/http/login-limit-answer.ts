import type { Response } from 'express';
import type { LoginCheck } from '../auth/login-guard.js';

/** What one login endpoint says when a login limit turned an attempt away, in its own error vocabulary. */
export interface LoginLimitWording {
  /** The `error` code of a 429 (too many failures). */
  limitedError: string;
  /** Its description, before "; retry in N s.". */
  limited: string;
  /** The description of a 503 (the hashing queue is full), before "; retry in N s.". */
  busy: string;
}

/**
 * Answers an attempt a login limit refused before its secret was checked: 429 for too many
 * failures, 503 `temporarily_unavailable` while the hashing queue is full; both with
 * `Retry-After` in whole seconds (the caller has set `Cache-Control: no-store`).
 */
export function sendLoginLimited(res: Response, check: Extract<LoginCheck, { outcome: 'limited' }>, wording: LoginLimitWording): void {
  const { limit, retryAfterSeconds } = check;
  res.set('Retry-After', String(retryAfterSeconds));
  if (limit === 'hash_queue') {
    res.status(503).json({ error: 'temporarily_unavailable', error_description: `${wording.busy}; retry in ${retryAfterSeconds} s.` });
  } else {
    res.status(429).json({ error: wording.limitedError, error_description: `${wording.limited}; retry in ${retryAfterSeconds} s.` });
  }
}
