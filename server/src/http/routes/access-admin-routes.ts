import express, { Router, type RequestHandler } from 'express';
import { accountStateBody, MAX_DEVICE_ID_LENGTH, organizationStateBody } from '@tradehub/shared';
import type { AccessAdmin } from '../../auth/access-admin.js';
import { AdminRequestError } from '../../auth/admin-request-error.js';
import { AuthError } from '../../auth/auth-error.js';
import type { Authenticator } from '../../auth/authenticator.js';
import { authFailureAnswer, principalOf, requireAuth, sendAuthFailure } from '../../auth/http-auth.js';
import { hasScope } from '../../auth/principal.js';
import { Scope } from '../../auth/scopes.js';
import { answerAdminRequest as handle, invalidBody } from '../admin-answers.js';

export interface AccessAdminRoutesOptions {
  authenticator: Authenticator;
  access: AccessAdmin;
}

const LOGIN = /^\d{1,20}$/;

/**
 * Admin API for the state of devices (`/api/devices`), accounts (`/api/accounts`) and
 * organizations (`/api/organizations/{id}/state`). Devices and accounts need the `admin` scope
 * and are those of the caller's organization; changing an organization needs `operator`.
 */
export function accessAdminRoutes(options: AccessAdminRoutesOptions): Router {
  const router = Router();
  const json = express.json({ limit: '16kb' });
  const admin = requireAuth(options.authenticator, Scope.Admin);
  const operator = requireAuth(options.authenticator, Scope.Operator);
  const { access } = options;

  router.get('/api/devices', admin, (_req, res) => handle(res, 200, access.listDevices(principalOf(res))));
  for (const [action, revoked] of [['revoke', true], ['approve', false]] as const) {
    router.post(`/api/devices/:id/${action}`, admin, (req, res) => {
      const device = req.params.id as string;
      handle(res, 200, device.length > MAX_DEVICE_ID_LENGTH
        ? Promise.reject(new AdminRequestError(400, `A device id has at most ${MAX_DEVICE_ID_LENGTH} characters.`))
        : access.setDevice(principalOf(res), device, revoked));
    });
  }

  router.get('/api/accounts', admin, (_req, res) => handle(res, 200, access.listAccounts(principalOf(res))));
  router.put('/api/accounts/:platform/:login', admin, json, (req, res) => {
    const parsed = accountStateBody.safeParse(req.body);
    if (!parsed.success) return invalidBody(res, parsed.error);
    const login = req.params.login as string;
    handle(res, 200, LOGIN.test(login)
      ? access.setAccount(principalOf(res), req.params.platform as string, login, parsed.data.disabled)
      : Promise.reject(new AdminRequestError(400, 'login must be a numeric MetaTrader login.')));
  });

  router.get('/api/organizations/:id/state', adminOrOperator(options.authenticator), (req, res) =>
    handle(res, 200, access.organization(principalOf(res), req.params.id as string)));
  router.put('/api/organizations/:id/state', operator, json, (req, res) => {
    const parsed = organizationStateBody.safeParse(req.body);
    if (!parsed.success) return invalidBody(res, parsed.error);
    handle(res, 200, access.setOrganization(principalOf(res), req.params.id as string, parsed.data));
  });
  return router;
}

/** An organization's admin reads its own organization's state; an operator reads any. */
function adminOrOperator(authenticator: Authenticator): RequestHandler {
  const authenticated = requireAuth(authenticator);
  return (req, res, next) => authenticated(req, res, () => {
    const principal = principalOf(res);
    if (hasScope(principal, Scope.Admin) || hasScope(principal, Scope.Operator)) return next();
    const refused = authFailureAnswer(new AuthError('insufficient_scope', `This request needs the '${Scope.Admin}' scope.`, Scope.Admin));
    if (refused) sendAuthFailure(res, refused);
  });
}
