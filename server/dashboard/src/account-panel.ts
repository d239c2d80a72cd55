import type { LocalAccountView, MarginEvent, SymbolInfo, Tick } from '@tradehub/client';
import { addCell, byId, fillRows } from './dom.js';
import { clock, lots, money, price, signClass, signedMoney } from './format.js';
import { liveProfit } from './live-profit.js';

/** Below this margin level (percent) the desk warns, as platforms' usual margin-call level. */
const MARGIN_CALL_LEVEL = 100;

export interface MarketView {
  tick(symbol: string): Tick | undefined;
  symbol(symbol: string): SymbolInfo | undefined;
}

/** The account panel (balance, equity, margin level, margin-call alert) and its open positions and orders. */
export class AccountPanel {
  private lastMarginEvent: MarginEvent | undefined;

  constructor(private readonly market: MarketView) {}

  clear(): void {
    this.lastMarginEvent = undefined;
    this.render(undefined);
  }

  /** A `margin` event of the platform's margin topic for this login. */
  marginEvent(event: MarginEvent): void {
    this.lastMarginEvent = event;
  }

  render(view: LocalAccountView | undefined): void {
    const account = view?.account ?? null;
    const currency = account?.currency;
    const positions = (view?.positions ?? []).map((position) => ({ position, ...liveProfit(position, this.market.tick(position.symbol), this.market.symbol(position.symbol), currency) }));
    const floating = positions.reduce((sum, { profit }) => sum + profit, 0);
    const fields: Array<[string, string, string]> = account
      ? [
        ['balance', money(account.balance), ''],
        ['equity', money(account.equity), ''],
        ['margin', money(account.margin), ''],
        ['free margin', money(account.marginFree), ''],
        ['margin level', account.marginLevel === null ? '–' : `${account.marginLevel.toFixed(2)} %`, marginClass(account.marginLevel)],
        ['floating P/L', signedMoney(floating), signClass(floating)],
        ['currency', `${account.currency} 1:${account.leverage}`, ''],
      ]
      : [];
    byId('account').replaceChildren(...fields.map(([name, value, className]) => {
      const row = document.createElement('div');
      row.className = 'field';
      const label = document.createElement('span');
      label.textContent = name;
      const text = document.createElement('b');
      text.textContent = value;
      text.className = className;
      row.append(label, text);
      return row;
    }));
    byId('account-title').textContent = view ? `Account ${view.login}` : 'Account';
    this.renderAlert(account?.marginLevel ?? null);
    this.renderPositions(positions);
    this.renderOrders(view);
  }

  private renderAlert(marginLevel: number | null): void {
    const alert = byId('margin-alert');
    const event = this.lastMarginEvent;
    const low = marginLevel !== null && marginLevel < MARGIN_CALL_LEVEL;
    alert.hidden = !low && !event;
    alert.className = event?.kind === 'stop_out' ? 'alert stop-out' : 'alert';
    if (event) {
      alert.textContent = `${event.kind === 'stop_out' ? 'STOP OUT' : 'MARGIN CALL'} at ${clock(event.time)}: margin level ${event.marginLevel.toFixed(2)} %`;
    } else if (low) {
      alert.textContent = `MARGIN CALL: margin level ${marginLevel.toFixed(2)} % is below ${MARGIN_CALL_LEVEL} %`;
    }
  }

  private renderPositions(positions: ReadonlyArray<{ position: LocalAccountView['positions'][number]; profit: number; live: boolean }>): void {
    const rows = positions.map(({ position, profit, live }) => {
      const digits = this.market.symbol(position.symbol)?.digits;
      const tick = this.market.tick(position.symbol);
      const current = tick ? (position.direction === 'buy' ? tick.bid : tick.ask) : position.priceCurrent;
      const row = document.createElement('tr');
      row.dataset.position = position.position;
      addCell(row, 'ticket', position.position);
      addCell(row, 'symbol', position.symbol);
      addCell(row, `side ${position.direction}`, position.direction);
      addCell(row, 'num', lots(position.volume));
      addCell(row, 'num', price(position.priceOpen, digits));
      addCell(row, 'num', price(current, digits));
      addCell(row, `num profit ${signClass(profit)}`, signedMoney(profit)).title = live ? 'at the latest quote' : 'as the platform last reported';
      return row;
    });
    byId('positions-count').textContent = String(positions.length);
    fillRows(byId<HTMLTableSectionElement>('positions'), rows, 'no open positions', 7);
  }

  private renderOrders(view: LocalAccountView | undefined): void {
    const orders = view?.orders ?? [];
    const rows = orders.map((order) => {
      const row = document.createElement('tr');
      addCell(row, 'ticket', order.order);
      addCell(row, 'symbol', order.symbol);
      addCell(row, 'side', order.type.replace(/_/g, ' '));
      addCell(row, 'num', lots(order.volumeCurrent));
      addCell(row, 'num', price(order.priceOpen, this.market.symbol(order.symbol)?.digits));
      addCell(row, 'state', order.state);
      return row;
    });
    byId('orders-count').textContent = String(orders.length);
    fillRows(byId<HTMLTableSectionElement>('orders'), rows, 'no pending orders', 6);
  }
}

function marginClass(level: number | null): string {
  if (level === null) return '';
  return level < MARGIN_CALL_LEVEL ? 'down' : level < 2 * MARGIN_CALL_LEVEL ? 'warn' : 'up';
}
