import type { ServerInfo } from '@tradehub/shared';
import { Scope } from '../auth/scopes.js';
import type { Directory } from '../config/directory.js';
import { defineHub, hubMethod, type HubDefinition } from '../hub/hub-definition.js';
import { TRADEHUB_VERSION } from '../node-identity.js';

/** The trade hub (`/hubs/trade`). Trade methods arrive with the trade-events layer. */
export function tradeHub(node: string, directory: Directory): HubDefinition {
  return defineHub({
    methods: {
      GetServerInfo: hubMethod([], (): ServerInfo => ({ nodeId: node, version: TRADEHUB_VERSION, serverTime: Date.now() })),
      /** What the caller's token grants: the same for every kind of token. */
      GetMyAccess: hubMethod([], ({ user }) => user && {
        subject: user.id,
        kind: user.kind,
        organization: user.organization,
        scopes: user.scopes,
        platforms: user.platforms,
        logins: user.logins ?? null,
        expiresAt: user.expiresAt ?? null,
      }),
      GetPlatforms: hubMethod([], ({ user }) => (user?.platforms ?? []).flatMap((id) => {
        const platform = directory.platform(id);
        return platform ? [{ id: platform.id, name: platform.name ?? platform.id, kind: platform.kind }] : [];
      }), { requiredScope: Scope.TradeRead }),
    },
  });
}
