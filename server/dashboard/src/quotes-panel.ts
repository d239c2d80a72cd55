import type { Tick } from '@tradehub/client';
import { addCell, byId, flash } from './dom.js';
import { clock, price } from './format.js';

/**
 * The quotes board: one row per symbol, kept (not rebuilt) so that a tick flashes its cells
 * green or red; spread in points. Clicking a row picks the chart's symbol.
 */
export class QuotesPanel {
  private readonly rows = new Map<string, HTMLTableRowElement>();
  private readonly last = new Map<string, Tick>();
  private selected = '';

  constructor(private readonly digitsOf: (symbol: string) => number | undefined, private readonly pick: (symbol: string) => void) {}

  clear(): void {
    this.rows.clear();
    this.last.clear();
    byId('quotes').replaceChildren();
  }

  select(symbol: string): void {
    this.selected = symbol;
    for (const [name, row] of this.rows) row.classList.toggle('selected', name === symbol);
  }

  /** A tick: the row moves to it, its cells flash by the direction of the bid. */
  show(tick: Tick): void {
    const before = this.last.get(tick.symbol);
    this.last.set(tick.symbol, tick);
    const row = this.rows.get(tick.symbol) ?? this.addRow(tick.symbol);
    const digits = this.digitsOf(tick.symbol);
    const bid = row.cells[1] as HTMLTableCellElement;
    const ask = row.cells[2] as HTMLTableCellElement;
    bid.textContent = price(tick.bid, digits);
    ask.textContent = price(tick.ask, digits);
    (row.cells[3] as HTMLTableCellElement).textContent = spreadPoints(tick, digits);
    (row.cells[4] as HTMLTableCellElement).textContent = clock(tick.time);
    if (before) {
      for (const [cell, now, then] of [[bid, tick.bid, before.bid], [ask, tick.ask, before.ask]] as const) {
        if (now !== then) flash(cell, now > then ? 'flash-up' : 'flash-down', ['flash-up', 'flash-down']);
      }
    }
  }

  private addRow(symbol: string): HTMLTableRowElement {
    const row = document.createElement('tr');
    row.dataset.symbol = symbol;
    for (const name of ['symbol', 'bid', 'ask', 'spread', 'time']) addCell(row, name, name === 'symbol' ? symbol : '');
    row.addEventListener('click', () => this.pick(symbol));
    row.classList.toggle('selected', symbol === this.selected);
    this.rows.set(symbol, row);
    const body = byId('quotes');
    const after = [...this.rows.keys()].sort().indexOf(symbol);
    body.insertBefore(row, body.children[after] ?? null);
    return row;
  }
}

/** Spread in points (the symbol's last digit); the raw difference when the digits are not known yet. */
function spreadPoints(tick: Tick, digits: number | undefined): string {
  const spread = tick.ask - tick.bid;
  return digits === undefined ? spread.toPrecision(3) : (spread * 10 ** digits).toFixed(0);
}
