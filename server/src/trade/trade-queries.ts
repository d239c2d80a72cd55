import {
  mtId, platformId as platformIdSchema, Topics, type AccountView, type PlatformStatus, type SymbolInfo, type TopicPosition,
  type TopicSnapshot,
} from '@tradehub/shared';
import { canAccessPlatform, type Principal } from '../auth/principal.js';
import type { Directory } from '../config/directory.js';
import type { TradeBroker } from './broker/trade-broker.js';
import { checkReadAccess } from './topic-access.js';
import { fromBroker, TradeRequestError } from './trade-service.js';

/** An account's current state with the position in its topic that the state reflects (a shared contract). */
export type { AccountView };

/**
 * Point-in-time reads for request/response APIs (REST, JSON-RPC): a platform's status, an
 * account's state, a platform's symbols, from the broker's snapshots and with the same access
 * rules as hub subscriptions.
 */
export class TradeQueries {
  constructor(
    private readonly directory: Directory,
    private readonly broker: TradeBroker,
  ) {}

  /**
   * Whether the caller's token reaches a platform. Another organization's platform is reported
   * as unknown, exactly like one that does not exist.
   * @throws TradeRequestError 404 (unknown or foreign) or 403 (own organization, not in the token).
   */
  checkPlatform(principal: Principal, platformId: string): void {
    if (this.directory.organizationOfPlatform(platformId) !== principal.organization) {
      // Only a well-formed id is repeated to the caller: it then holds no quotes or control characters.
      const named = platformIdSchema.safeParse(platformId).success ? ` '${platformId}'` : '';
      throw new TradeRequestError(404, `Unknown platform${named}.`);
    }
    if (!canAccessPlatform(principal, platformId)) {
      throw new TradeRequestError(403, `This token does not reach platform '${platformId}'.`);
    }
  }

  /** The latest `platform.status` payload, or null before any; needs access to the platform only. */
  async status(principal: Principal, platformId: string): Promise<PlatformStatus | null> {
    this.checkPlatform(principal, platformId);
    const { snapshot } = await fromBroker(this.broker.snapshot(Topics.status(platformId)));
    return snapshot.kind === 'status' ? snapshot.status : null;
  }

  /** @throws TradeRequestError 400 for a malformed login, 403 for a login the token does not reach. */
  async account(principal: Principal, platformId: string, login: string): Promise<AccountView> {
    this.checkPlatform(principal, platformId);
    if (!mtId.safeParse(login).success) {
      throw new TradeRequestError(400, 'The login must be a decimal MetaTrader id of at most 20 digits.');
    }
    const { position, snapshot } = await this.readable(principal, Topics.account(platformId, login));
    const account = snapshot.kind === 'accounts' ? snapshot.accounts[0] : undefined;
    return {
      platform: platformId,
      login,
      account: account?.account ?? null,
      positions: account?.positions ?? [],
      orders: account?.orders ?? [],
      epoch: position.epoch,
      seq: position.seq,
    };
  }

  async symbols(principal: Principal, platformId: string): Promise<SymbolInfo[]> {
    this.checkPlatform(principal, platformId);
    const { snapshot } = await this.readable(principal, Topics.symbols(platformId));
    return snapshot.kind === 'symbols' ? snapshot.symbols : [];
  }

  private async readable(principal: Principal, topic: string): Promise<{ position: TopicPosition; snapshot: TopicSnapshot }> {
    const access = checkReadAccess(principal, topic);
    if (!access.ok) throw new TradeRequestError(403, access.error);
    return fromBroker(this.broker.snapshot(topic));
  }
}
