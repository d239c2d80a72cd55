import type { TradeEventInput } from '@tradehub/shared';

/**
 * How an event changes its topic's current state: one field set to a value, one field
 * removed (`value: null`), or nothing (deals and margin events are history only). Both brokers
 * keep state as such fields, so that a snapshot is one read.
 */
export type StateChange = { field: string; value: unknown } | undefined;

const FINAL_ORDER_STATES = new Set(['filled', 'canceled', 'rejected', 'expired']);

export function stateChangeOf(event: TradeEventInput): StateChange {
  switch (event.type) {
    case 'tick':
      return { field: 'tick', value: event.data };
    case 'account':
      return { field: 'account', value: event.data };
    case 'position':
      return { field: `position:${event.data.position}`, value: event.data.volume === 0 ? null : event.data };
    case 'order':
      return { field: `order:${event.data.order}`, value: FINAL_ORDER_STATES.has(event.data.state) ? null : event.data };
    case 'platform.status':
      return { field: 'status', value: event.data };
    case 'symbol':
      return { field: `symbol:${event.data.symbol}`, value: event.data };
    case 'deal':
    case 'margin':
    // Terminal presence is answered by the gateway (`get_terminal_status`), not kept as topic state.
    case 'terminal.status':
      return undefined;
  }
}
