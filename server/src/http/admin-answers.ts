import type { Response } from 'express';
import type { z } from 'zod';
import { AdminRequestError } from '../auth/admin-request-error.js';
import { ServiceUnavailableError } from '../errors/service-unavailable-error.js';
import { sendUnavailable } from './error-handler.js';

/** 400 `invalid_request` naming every problem of a body that failed validation. */
export function invalidBody(res: Response, error: z.ZodError): void {
  res.status(400).json({
    error: 'invalid_request',
    error_description: error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; '),
  });
}

/**
 * Answers an admin API call with what `work` resolves to, or with its error: an
 * AdminRequestError as it says, 503 when the store cannot answer now, 500 (saying nothing more) otherwise.
 */
export function answerAdminRequest(res: Response, status: number, work: Promise<unknown>): void {
  work.then((body) => {
    res.status(status).set('Cache-Control', 'no-store').json(body);
  }).catch((error: unknown) => {
    if (error instanceof AdminRequestError) {
      res.status(error.status).json({ error: error.code, error_description: error.message });
    } else if (error instanceof ServiceUnavailableError) {
      sendUnavailable(res, error);
    } else {
      res.status(500).json({ error: 'server_error', error_description: 'The request could not be completed.' });
    }
  });
}
