import { Router } from 'express';
import type { Authenticator } from '../../auth/authenticator.js';
import { principalOf, requireAuth } from '../../auth/http-auth.js';
import type { JsonWebKey } from 'node:crypto';
import type { Directory } from '../../config/directory.js';

/** What a caller may see of the tenants: its own organization and the platforms its token reaches. */
export function directoryRoutes(directory: Directory, authenticator: Authenticator): Router {
  const router = Router();
  const authenticated = requireAuth(authenticator);
  router.get('/api/organizations', authenticated, (_req, res) => {
    const principal = principalOf(res);
    const organization = directory.organization(principal.organization);
    res.json(organization ? [{ id: organization.id, name: organization.name ?? organization.id }] : []);
  });
  router.get('/api/platforms', authenticated, (_req, res) => {
    const principal = principalOf(res);
    res.json(principal.platforms.flatMap((id) => {
      const platform = directory.platform(id);
      return platform ? [{ id: platform.id, name: platform.name ?? platform.id, kind: platform.kind, organization: principal.organization }] : [];
    }));
  });
  return router;
}

/** Public keys for verifying tradehub's tokens elsewhere (RFC 7517); empty with HS256. */
export function jwksRoute(jwks: { keys: JsonWebKey[] }): Router {
  const router = Router();
  router.get('/.well-known/jwks.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(jwks);
  });
  return router;
}
