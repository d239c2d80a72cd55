/** One instrument of the embedded demo's made-up market. */
export interface SimulatedSymbol {
  symbol: string;
  digits: number;
  mid: number;
  spread: number;
  /** Typical move per tick, as a fraction of the price. */
  volatility: number;
  currencyBase: string;
  currencyProfit: string;
  contractSize: number;
}

/** The demo's instruments, each with a fresh starting price (every simulator its own copy). */
export function simulatedSymbols(): SimulatedSymbol[] {
  return [
    { symbol: 'EURUSD', digits: 5, mid: 1.0842, spread: 0.00012, volatility: 0.00004, currencyBase: 'EUR', currencyProfit: 'USD', contractSize: 100_000 },
    { symbol: 'GBPUSD', digits: 5, mid: 1.2705, spread: 0.00015, volatility: 0.00005, currencyBase: 'GBP', currencyProfit: 'USD', contractSize: 100_000 },
    { symbol: 'USDJPY', digits: 3, mid: 151.42, spread: 0.012, volatility: 0.00004, currencyBase: 'USD', currencyProfit: 'JPY', contractSize: 100_000 },
    { symbol: 'XAUUSD', digits: 2, mid: 2384.5, spread: 0.3, volatility: 0.00008, currencyBase: 'XAU', currencyProfit: 'USD', contractSize: 100 },
  ];
}

/** A price with the symbol's digits, as a platform quotes it. */
export function priceOf(symbol: SimulatedSymbol, price: number): number {
  return Number(price.toFixed(symbol.digits));
}

export function bidOf(symbol: SimulatedSymbol): number {
  return priceOf(symbol, symbol.mid - symbol.spread / 2);
}

export function askOf(symbol: SimulatedSymbol): number {
  return priceOf(symbol, symbol.mid + symbol.spread / 2);
}
