/**
 * Whether a `Cookie` request header (RFC 6265 section 5.4: `name=value` pairs separated by `; `)
 * holds a cookie of this name. Names are compared exactly, as browsers send them.
 */
export function hasCookie(header: string | undefined, name: string): boolean {
  if (header === undefined) return false;
  return header.split(';').some((pair) => {
    const separator = pair.indexOf('=');
    return separator > 0 && pair.slice(0, separator).trim() === name;
  });
}
