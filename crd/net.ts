/**
 * Address and name formats, checked without Node builtins so that workflow code may import them.
 * Pure functions, no I/O.
 */

/** True for a dotted-quad IPv4 address without leading zeros (`198.51.100.10`). */
export function isIPv4(s: string): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  return parts.every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
}

/** True for an IPv6 address in any RFC 4291 text form (`2001:db8::1`, `::ffff:198.51.100.1`); no zone. */
export function isIPv6(s: string): boolean {
  if (s.length < 2 || s.length > 45) return false;
  let groups = 0;
  let rest = s;
  // An embedded IPv4 tail counts as two groups.
  const lastColon = rest.lastIndexOf(':');
  if (lastColon >= 0 && rest.slice(lastColon + 1).includes('.')) {
    if (!isIPv4(rest.slice(lastColon + 1))) return false;
    rest = rest.slice(0, lastColon + 1) + '0';
    groups += 1;
  }
  const halves = rest.split('::');
  if (halves.length > 2) return false;
  const hex = /^[0-9A-Fa-f]{1,4}$/;
  const count = (h: string): number | null => {
    if (h === '') return 0;
    const gs = h.split(':');
    return gs.every((g) => hex.test(g)) ? gs.length : null;
  };
  const a = count(halves[0] ?? '');
  if (a === null) return false;
  if (halves.length === 1) return a + groups === 8;
  const b = count(halves[1] ?? '');
  if (b === null) return false;
  return a + b + groups <= 7;
}

/** 4 or 6 for a valid address of that family, else 0. */
export function ipFamily(s: string): 0 | 4 | 6 {
  return isIPv4(s) ? 4 : isIPv6(s) ? 6 : 0;
}

/** Parses `ip/prefix` (`198.51.100.0/24`, `::/0`); null when malformed or the prefix is out of range. */
export function parseCidr(s: string): { ip: string; prefix: number; family: 4 | 6 } | null {
  const slash = s.indexOf('/');
  if (slash < 0) return null;
  const ip = s.slice(0, slash);
  const p = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
  const family = ipFamily(ip);
  if (family === 0) return null;
  const prefix = Number(p);
  if (prefix > (family === 4 ? 32 : 128)) return null;
  return { ip, prefix, family };
}

/**
 * Why the Linux kernel would refuse `name` as a network interface name (`dev_valid_name`), or null:
 * 1–15 bytes, not `.` or `..`, no `/`, `:` or whitespace.
 */
export function interfaceNameProblem(name: string): string | null {
  if (name.length === 0) return 'must not be empty';
  if (new TextEncoder().encode(name).length > 15) return 'must be at most 15 bytes (the kernel limit IFNAMSIZ-1)';
  if (name === '.' || name === '..') return 'must not be "." or ".."';
  if (/[/:\s]/.test(name)) return 'must not contain "/", ":" or whitespace';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'must not contain control characters';
  return null;
}

/** Regex (also used in CEL) of a DNS name: labels of ≤ 63 letters, digits, `-`, `_`; optional final dot. */
export const DNS_NAME_PATTERN = '^[A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?(\\.[A-Za-z0-9_]([-A-Za-z0-9_]{0,61}[A-Za-z0-9_])?)*\\.?$';

/** True for a DNS name usable in a resolver search list (`knmstate.test`, `example.com.`), ≤ 253 characters. */
export function isDnsName(s: string): boolean {
  return s.length <= 254 && new RegExp(DNS_NAME_PATTERN).test(s);
}

/** True for a MAC address: 6 (Ethernet) or 20 (InfiniBand) colon-separated hex octets. */
export function isMacAddress(s: string): boolean {
  const parts = s.split(':');
  return (parts.length === 6 || parts.length === 20) && parts.every((p) => /^[0-9A-Fa-f]{2}$/.test(p));
}
