import type { Deal } from '@tradehub/client';
import { addCell, byId } from './dom.js';
import { clock, lots, price, signClass, signedMoney } from './format.js';

/** Rows the feed keeps: the newest first. */
const MAX_DEALS = 50;

/** The deals feed: every `deal` event of the account, newest on top (deals are not part of a snapshot). */
export class DealsFeed {
  constructor(private readonly digitsOf: (symbol: string) => number | undefined) {}

  clear(): void {
    byId('deals').replaceChildren();
  }

  add(deal: Deal): void {
    const row = document.createElement('tr');
    row.dataset.deal = deal.deal;
    row.className = 'new';
    addCell(row, 'time', clock(deal.time));
    addCell(row, 'ticket', deal.deal);
    addCell(row, 'symbol', deal.symbol || '–');
    addCell(row, `side ${deal.action}`, `${deal.action} ${deal.entry}`);
    addCell(row, 'num', lots(deal.volume));
    addCell(row, 'num', price(deal.price, this.digitsOf(deal.symbol)));
    addCell(row, `num ${signClass(deal.profit)}`, deal.entry === 'in' ? '' : signedMoney(deal.profit));
    const body = byId('deals');
    body.prepend(row);
    while (body.childElementCount > MAX_DEALS) body.lastElementChild?.remove();
  }
}
