import type { HubOptions } from '../hub/hub-options.js';
import type { WsRpcLimits } from './ws-rpc-connection.js';

/** Messages of one `/ws` socket answered at the same time; more wait unread in the socket. */
export const WS_RPC_MAX_IN_FLIGHT = 16;

/**
 * `/ws` keeps the hub's limits for what it shares with hub connections: the same ping interval
 * and the same outbound buffer per client, so that one configuration governs both.
 */
export function wsRpcLimitsOf(hubOptions: HubOptions): WsRpcLimits {
  return {
    maxInFlight: WS_RPC_MAX_IN_FLIGHT,
    maxBufferedBytes: hubOptions.maximumBufferedBytesPerClient,
    pingIntervalMs: hubOptions.keepAliveIntervalMs,
  };
}
