import { AuthorizedHubMethod as M } from '@tradehub/shared';
import { z } from 'zod';
import { defineHub, hubMethod, type HubDefinition } from '../hub/hub-definition.js';

/**
 * The hub behind `/authorizedhub`: callable only with a token of the interop server's
 * `/generateJwtToken` (the endpoint checks it), as the ASP.NET test server's HubWithAuthorization.
 */
export function authorizedHub(): HubDefinition {
  return defineHub({
    methods: {
      [M.Echo]: hubMethod([z.string()], (_context, message) => message),
      [M.GetUserNameIdentifier]: hubMethod([], (context) => context.user?.id ?? ''),
    },
  });
}
