import { isIPv4, isIPv6 } from 'node:net';

/**
 * What login limits count a caller's address as. An IPv6 host is usually given a whole /64
 * and may use any address in it, so IPv6 callers count by their /64 prefix (else each guess
 * could come from a fresh address); an IPv4-mapped IPv6 address counts as the IPv4 address.
 */
export function sourceOf(address: string): string {
  const mapped = /^::ffff:([\d.]+)$/i.exec(address)?.[1];
  if (mapped !== undefined && isIPv4(mapped)) return mapped;
  const withoutZone = address.split('%')[0] ?? address;
  if (!isIPv6(withoutZone)) return address;
  const [head = '', tail] = withoutZone.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  // Only the first four groups matter, and an embedded IPv4 address can only be in the last two.
  const groups = tail === undefined ? headGroups : [...headGroups, '0', '0', '0', '0'];
  return `${groups.slice(0, 4).map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`;
}
