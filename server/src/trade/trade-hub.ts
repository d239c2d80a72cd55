import type { ServerInfo } from '@tradehub/shared';
import { defineHub, hubMethod, type HubDefinition } from '../hub/hub-definition.js';
import { TRADEHUB_VERSION } from '../node-identity.js';

/** The trade hub (`/hubs/trade`). Trade methods arrive with the trade-events layer. */
export function tradeHub(node: string): HubDefinition {
  return defineHub({
    methods: {
      GetServerInfo: hubMethod([], (): ServerInfo => ({ nodeId: node, version: TRADEHUB_VERSION, serverTime: Date.now() })),
    },
  });
}
