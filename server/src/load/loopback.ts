import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';

/** Raised for a command line the load tool refuses; the CLI prints its message and exits 2. */
export class LoadUsageError extends Error {}

/** Whether `host` is `localhost` or an IPv4 address in 127.0.0.0/8: the only targets the tool accepts. */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) !== 4) return false;
  return host.split('.')[0] === '127';
}

/** Reads `--url`; refuses anything but http(s) on a loopback host, so that a load never leaves the machine. */
export function parseTargetUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new LoadUsageError(`--url '${text}' is not a URL (example: http://127.0.0.1:5000).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new LoadUsageError(`--url must be http:// or https://, not '${url.protocol}'.`);
  if (!isLoopbackHost(url.hostname)) {
    throw new LoadUsageError(`--url host '${url.hostname}' is not a loopback address: tradehub-load only targets 127.0.0.0/8 or localhost.`);
  }
  return url;
}

/** Connections one source address can carry at most, well inside Linux's ~28k ephemeral ports per (source, destination). */
export const CONNECTIONS_PER_SOURCE_ADDRESS = 20_000;

/**
 * Connections per source address when none are given. Few per address, and a /24 of its own for
 * every run: sockets a run (or a reconnect) closed stay in TIME_WAIT for a minute, and the
 * kernel's search for a free port on an address crowded with them cost the load generator
 * about 3 ms of CPU per connect instead of 0.4 ms (measured on loopback with 15k of them).
 */
export const DEFAULT_CONNECTIONS_PER_SOURCE_ADDRESS = 1000;

/** Reads `127.0.0.2-127.0.0.40` (a range within one /24), `127.0.0.5` or a comma list of both. */
export function parseSourceAddresses(text: string): string[] {
  const addresses: string[] = [];
  for (const part of text.split(',').map((item) => item.trim()).filter((item) => item !== '')) {
    const [from, to] = part.split('-') as [string, string | undefined];
    if (!isLoopbackHost(from) || from === 'localhost') throw new LoadUsageError(`--source-addresses: '${from}' is not an IPv4 address in 127.0.0.0/8.`);
    if (to === undefined) {
      addresses.push(from);
      continue;
    }
    if (!isLoopbackHost(to) || to === 'localhost') throw new LoadUsageError(`--source-addresses: '${to}' is not an IPv4 address in 127.0.0.0/8.`);
    const prefixOf = (address: string) => address.split('.').slice(0, 3).join('.');
    if (prefixOf(from) !== prefixOf(to)) throw new LoadUsageError(`--source-addresses: a range must stay within one /24 ('${part}').`);
    const first = Number(from.split('.')[3]);
    const last = Number(to.split('.')[3]);
    if (last < first) throw new LoadUsageError(`--source-addresses: range '${part}' ends before it starts.`);
    for (let octet = first; octet <= last; octet++) addresses.push(`${prefixOf(from)}.${octet}`);
  }
  if (addresses.length === 0) throw new LoadUsageError('--source-addresses names no address.');
  if (addresses.length > 1024) throw new LoadUsageError('--source-addresses: at most 1024 addresses.');
  return addresses;
}

/** A /24 of 127.0.0.0/8 outside 127.0.0.0/16 (where servers listen): 127.(1-254).(0-255). */
export function randomLoopbackBlock(): string {
  return `127.${randomInt(1, 255)}.${randomInt(0, 256)}`;
}

/** Enough source addresses for `connections` in one /24 (`block`, e.g. `127.42.7`), from .2 up. */
export function defaultSourceAddresses(connections: number, block: string = randomLoopbackBlock()): string[] {
  const count = Math.max(1, Math.ceil(connections / DEFAULT_CONNECTIONS_PER_SOURCE_ADDRESS));
  return Array.from({ length: count }, (_, index) => `${block}.${2 + index}`);
}

/** The source address of connection `index`: round robin, so that each address carries an equal share. */
export function sourceAddressFor(index: number, addresses: readonly string[]): string {
  return addresses[index % addresses.length] as string;
}
