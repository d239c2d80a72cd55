import type { Position, SymbolInfo, Tick } from '@tradehub/client';
import { lotsOf } from './format.js';

/**
 * A position's profit at the latest quote (a buy closes at the bid, a sell at the ask), when it
 * can be computed here: the symbol's profit currency is the account's. Otherwise the last profit
 * the platform reported. `live` says which.
 */
export function liveProfit(position: Position, tick: Tick | undefined, symbol: SymbolInfo | undefined, accountCurrency: string | undefined): { profit: number; live: boolean } {
  if (!tick || !symbol || symbol.currencyProfit !== accountCurrency) return { profit: position.profit, live: false };
  const close = position.direction === 'buy' ? tick.bid : tick.ask;
  const move = position.direction === 'buy' ? close - position.priceOpen : position.priceOpen - close;
  return { profit: Math.round(move * lotsOf(position.volume) * symbol.contractSize * 100) / 100, live: true };
}
