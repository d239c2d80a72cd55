import { connect, type ConnectOptions, type TradehubClient, type TradeEventInput } from '@tradehub/client';

export const READER = { clientId: 'demo-reader', clientSecret: 'demo-reader-secret' } as const;
export const PUBLISHER = { clientId: 'demo-publisher', clientSecret: 'demo-publisher-secret' } as const;

/** Clients a test opened, closed after it. */
export class ClientPool {
  private readonly clients: TradehubClient[] = [];

  async connect(options: ConnectOptions): Promise<TradehubClient> {
    const client = await connect({ timeouts: { connectMs: 5_000, requestMs: 10_000 }, ...options });
    this.clients.push(client);
    return client;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((client) => client.close()));
  }
}

/** Trade event inputs with ids (so that publishing them is idempotent). */
export const tradeEvents = {
  position: (login: string, position: string, volume: number, id: string): TradeEventInput => ({
    type: 'position', platformId: 'demo', id,
    data: {
      position, login, symbol: 'EURUSD', direction: 'buy', volume, priceOpen: 1.1, priceCurrent: 1.1005, profit: volume / 1000, swap: 0, time: Date.now(),
    },
  }),
  deal: (login: string, n: number, id: string): TradeEventInput => ({
    type: 'deal', platformId: 'demo', id,
    data: {
      deal: String(100_000 + n), order: String(200_000 + n), position: String(300_000 + n), login, symbol: 'EURUSD',
      action: 'buy', entry: 'in', volume: 10_000, price: 1.1, profit: 0, commission: 0, swap: 0, time: Date.now(),
    },
  }),
  order: (login: string, order: string, state: 'placed' | 'filled' | 'canceled', id: string): TradeEventInput => ({
    type: 'order', platformId: 'demo', id,
    data: {
      order, login, symbol: 'EURUSD', type: 'buy_limit', state, volumeInitial: 10_000, volumeCurrent: 10_000, priceOpen: 1.09,
      timeSetup: Date.now(), time: Date.now(),
    },
  }),
  account: (login: string, balance: number, id: string): TradeEventInput => ({
    type: 'account', platformId: 'demo', id,
    data: {
      login, balance, credit: 0, equity: balance, margin: 0, marginFree: balance, marginLevel: null, currency: 'USD', leverage: 100, time: Date.now(),
    },
  }),
  tick: (symbol: string, bid: number): TradeEventInput => ({
    type: 'tick', platformId: 'demo', data: { symbol, bid, ask: bid + 0.0002, time: Date.now() },
  }),
  marginCall: (login: string, marginLevel: number, id: string): TradeEventInput => ({
    type: 'margin', platformId: 'demo', id,
    data: { login, kind: 'margin_call', marginLevel, equity: 1000, margin: 1000 / (marginLevel / 100), time: Date.now() },
  }),
};
