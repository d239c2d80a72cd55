import express, { Router } from 'express';
import { MAX_DEVICE_ID_LENGTH } from '@tradehub/shared';
import { z } from 'zod';
import type { AccessTokenService } from '../../auth/access-token-service.js';
import { AuthError } from '../../auth/auth-error.js';
import type { Authenticator } from '../../auth/authenticator.js';
import { principalOf, requireAuth } from '../../auth/http-auth.js';
import { ALL_SCOPES, Scope } from '../../auth/scopes.js';
import type { TerminalTokenService } from '../../auth/terminal-token-service.js';
import { answerAdminRequest as handle, invalidBody } from '../admin-answers.js';

export interface TokenAdminRoutesOptions {
  authenticator: Authenticator;
  terminalTokens: TerminalTokenService;
  accessTokens: AccessTokenService;
  revoke(tokenId: string, expiresAt: number): Promise<void>;
}

const createBody = z.object({
  name: z.string().min(1).max(100),
  platform: z.string().min(1),
  login: z.string().regex(/^\d{1,20}$/, 'must be a numeric MetaTrader login'),
  scopes: z.array(z.enum(ALL_SCOPES.filter((scope) => scope !== Scope.Admin && scope !== Scope.Operator) as [string, ...string[]])).min(1).optional(),
  expiresAt: z.number().int().positive().optional(),
  expiresInSeconds: z.number().int().min(1).max(10 * 365 * 86_400).optional(),
  device: z.string().min(1).max(MAX_DEVICE_ID_LENGTH).optional(),
}).strict().refine((body) => body.expiresAt === undefined || body.expiresInSeconds === undefined, {
  message: 'give expiresAt or expiresInSeconds, not both',
});

const revokeAccessTokenBody = z.object({ token: z.string().min(1) }).strict();

/**
 * Admin API for terminal tokens (`/api/tokens`) and access-token revocation
 * (`/api/revocations`); every route needs the `admin` scope and sees only its organization.
 */
export function tokenAdminRoutes(options: TokenAdminRoutesOptions): Router {
  const router = Router();
  const json = express.json({ limit: '16kb' });
  const admin = requireAuth(options.authenticator, Scope.Admin);
  const { terminalTokens } = options;

  router.post('/api/tokens', admin, json, (req, res) => {
    const parsed = createBody.safeParse(req.body);
    if (!parsed.success) return invalidBody(res, parsed.error);
    const { expiresInSeconds, expiresAt, scopes, device, ...rest } = parsed.data;
    const expiry = expiresAt ?? (expiresInSeconds !== undefined ? Date.now() + expiresInSeconds * 1000 : undefined);
    handle(res, 201, terminalTokens.create({
      ...rest,
      ...(scopes ? { scopes: scopes as Scope[] } : {}),
      ...(device !== undefined ? { device } : {}),
      ...(expiry !== undefined ? { expiresAt: expiry } : {}),
    }, principalOf(res)).then(({ view, token }) => ({ ...view, token })));
  });
  router.get('/api/tokens', admin, (_req, res) => handle(res, 200, terminalTokens.list(principalOf(res))));
  router.get('/api/tokens/:id', admin, (req, res) => handle(res, 200, terminalTokens.get(req.params.id as string, principalOf(res))));
  router.delete('/api/tokens/:id', admin, (req, res) => handle(res, 200, terminalTokens.revoke(req.params.id as string, principalOf(res))));
  router.post('/api/tokens/:id/replace', admin, (req, res) =>
    handle(res, 200, terminalTokens.replace(req.params.id as string, principalOf(res)).then(({ view, token }) => ({ ...view, token }))));

  router.post('/api/revocations', admin, json, (req, res) => {
    const parsed = revokeAccessTokenBody.safeParse(req.body);
    if (!parsed.success) return invalidBody(res, parsed.error);
    let target;
    try {
      target = options.accessTokens.verify(parsed.data.token, { ignoreExpiration: true });
    } catch (error) {
      const description = error instanceof AuthError ? error.description : 'The token is invalid.';
      res.status(400).json({ error: 'invalid_token', error_description: description });
      return;
    }
    if (target.organization !== principalOf(res).organization) {
      res.status(404).json({ error: 'not_found', error_description: 'No such token in your organization.' });
      return;
    }
    handle(res, 200, options.revoke(target.tokenId, target.expiresAt ?? Date.now()).then(() => ({ revoked: target.tokenId })));
  });
  return router;
}
