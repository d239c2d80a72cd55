import type { Principal } from '../auth/principal.js';
import type { ConnectionConsumer } from '../trade/connection-consumer.js';
import type { TradeSubscriber } from '../trade/trade-service.js';

/**
 * What a `/ws` method runs with: the caller, and its connection as a subscriber of the trade
 * service. One per received message (a request or a batch): what must wait for its answer runs
 * once the answer was written.
 */
export class WsRpcCall implements TradeSubscriber {
  private readonly completions: (() => void)[] = [];

  constructor(
    readonly principal: Principal,
    readonly consumer: ConnectionConsumer,
    readonly connectionAborted: AbortSignal,
  ) {}

  get user(): Principal {
    return this.principal;
  }

  afterCompletion(callback: () => void): void {
    this.completions.push(callback);
  }

  /** The answer was written (or there was none to write): live events may follow it now. */
  completed(): void {
    for (const callback of this.completions.splice(0)) callback();
  }
}
