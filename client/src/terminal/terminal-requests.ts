import {
  terminalRequests, type GetHistoryRequest, type HistoryResult, type OrderCloseRequest, type OrderModifyRequest, type OrderSendRequest,
  type TerminalPresenceView, type TerminalRequestName, type TerminalRequestOf, type TerminalResultOf, type TradeResult,
} from '@tradehub/shared';
import { InvalidRequestError, MalformedServerMessageError } from '../errors.js';
import type { JsonRpcClient } from '../http/json-rpc-client.js';
import type { TypedHub } from '../hub/typed-hub.js';
import { schemaIssues } from '../util/schema-issues.js';

/**
 * Requests to one account's terminal (`client.terminal(platform, login)`), sent on the client's
 * trade hub connection and forwarded by tradehub to the terminal's connection on whichever node
 * holds it. Only a terminal token of that account may send them (orders need `trade.publish`,
 * history `trade.read`).
 *
 * Each request is checked against the shared schema before it is sent (`InvalidRequestError`),
 * and the terminal's answer on arrival (`MalformedServerMessageError`). The server's refusals
 * (the terminal is offline, did not answer in time, refused the request, is busy) are
 * `HubMethodError`s with the server's text. Orders are never retried by the client: a
 * `ConnectionLostError` or `TimeoutError` leaves the outcome unknown (read the account's topic).
 */
export class TerminalRequests {
  constructor(
    readonly platform: string,
    readonly login: string,
    private readonly hub: TypedHub,
    private readonly rpc: JsonRpcClient,
  ) {}

  /** A market order (no `price`) or a pending order; the terminal's `TradeResult` (`retcode` 10009 done, 10008 placed). */
  orderSend(request: OrderSendRequest): Promise<TradeResult> {
    return this.send('order_send', request, (checked) => this.hub.invoke('OrderSend', this.platform, this.login, checked));
  }

  /** New stops of an open position, or a new price and stops of a pending order. */
  orderModify(request: OrderModifyRequest): Promise<TradeResult> {
    return this.send('order_modify', request, (checked) => this.hub.invoke('OrderModify', this.platform, this.login, checked));
  }

  /** Closes a position (all of it without `volume`) or deletes a pending order. */
  orderClose(request: OrderCloseRequest): Promise<TradeResult> {
    return this.send('order_close', request, (checked) => this.hub.invoke('OrderClose', this.platform, this.login, checked));
  }

  /** The account's deals and orders between `from` and `to` (UTC ms, at most 366 days apart). */
  getHistory(range: GetHistoryRequest): Promise<HistoryResult> {
    return this.send('get_history', range, (checked) => this.hub.invoke('GetHistory', this.platform, this.login, checked));
  }

  /** Whether the terminal is online now, and on which node (through `/rpc`: `JsonRpcCallError` on refusal). */
  status(): Promise<TerminalPresenceView> {
    return this.rpc.call('get_terminal_status', { platform: this.platform, login: this.login });
  }

  /** Checks the request, sends it with `invoke`, and checks the answer. */
  private async send<N extends TerminalRequestName>(
    name: N, input: TerminalRequestOf<N>, invoke: (request: TerminalRequestOf<N>) => Promise<unknown>,
  ): Promise<TerminalResultOf<N>> {
    const contract = terminalRequests[name];
    const { method } = contract;
    const request = contract.request.safeParse(input);
    if (!request.success) throw new InvalidRequestError(method, schemaIssues(request.error));
    const answer = await invoke(request.data as TerminalRequestOf<N>);
    const result = contract.result.safeParse(answer);
    if (!result.success) throw new MalformedServerMessageError(`${method} result`, schemaIssues(result.error));
    return result.data as TerminalResultOf<N>;
  }
}
