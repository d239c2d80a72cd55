import type { HubEventInput } from '@tradehub/shared';

/**
 * How an event changes its topic's current state: one field set to a value, one field
 * removed (`value: null`), or nothing (deals and margin events are history only). Both brokers
 * keep state as such fields, so that a snapshot is one read. With `maxFields`, the topic keeps
 * at most that many fields: past it, the field with the lowest name goes (bars, whose field
 * names sort as their times, so keep the last ones).
 */
export type StateChange = { field: string; value: unknown; maxFields?: number } | undefined;

/** How much state some topics keep. */
export interface StateLimits {
  /** Bars kept per bars topic, the last ones (`trade.barHistory`). */
  barHistory: number;
}

const FINAL_ORDER_STATES = new Set(['filled', 'canceled', 'rejected', 'expired']);

export const BAR_FIELD_PREFIX = 'bar:';
/** Digits of a bar's time in its field name: every UTC ms time fits, so names sort as times. */
const BAR_TIME_DIGITS = 16;

export function stateChangeOf(event: HubEventInput, limits: StateLimits): StateChange {
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
    case 'bar':
      return {
        field: BAR_FIELD_PREFIX + String(event.data.time).padStart(BAR_TIME_DIGITS, '0'),
        value: event.data,
        maxFields: limits.barHistory,
      };
    case 'depth':
      return { field: 'depth', value: event.data };
    case 'deal':
    case 'margin':
    // Terminal presence is answered by the gateway (`get_terminal_status`), not kept as topic state.
    case 'terminal.status':
      return undefined;
  }
}
