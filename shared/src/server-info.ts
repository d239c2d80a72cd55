/** What `GetServerInfo()` answers on the trade hub. */
export interface ServerInfo {
  /** Id of the hub node that answered; differs between nodes of one deployment. */
  nodeId: string;
  /** tradehub version. */
  version: string;
  /** Server clock, UTC milliseconds since the epoch. */
  serverTime: number;
}

export const TRADE_HUB_PATH = '/hubs/trade';
