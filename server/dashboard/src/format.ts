/** Display formats of the desk: prices with the symbol's digits, money with two decimals, UTC clock times. */

const MONEY = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
/** MT5 keeps volumes in 1/10,000 lot. */
const VOLUME_PER_LOT = 10_000;

export function price(value: number, digits: number | undefined): string {
  return digits === undefined ? String(value) : value.toFixed(digits);
}

export function money(value: number): string {
  return MONEY.format(value);
}

export function signedMoney(value: number): string {
  return `${value > 0 ? '+' : ''}${MONEY.format(value)}`;
}

export function lots(volume: number): string {
  return (volume / VOLUME_PER_LOT).toFixed(2);
}

export function lotsOf(volume: number): number {
  return volume / VOLUME_PER_LOT;
}

/** HH:MM:SS in UTC, as trading desks show server times. */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export function milliseconds(value: number | undefined): string {
  return value === undefined ? '–' : `${Math.round(value)} ms`;
}

/** A class for a number's sign: profit green, loss red. */
export function signClass(value: number): string {
  return value > 0 ? 'up' : value < 0 ? 'down' : '';
}
