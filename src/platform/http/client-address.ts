import { BlockList, isIP } from 'node:net';

/** proxy-addr's (Fastify's trustProxy) names for whole ranges. */
const PROXY_RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

/** `10.0.0.0/8`, `2001:db8::/32`, or one address (a /32 or /128); null when it is neither. */
export function parseCidr(text: string): Cidr | null {
  const [address = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) return null;
  const version = isIP(address);
  if (version === 0) return null;
  const max = version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return null;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function isTrustedProxyEntry(entry: string): boolean {
  return PROXY_RANGE_NAMES.has(entry) || parseCidr(entry) !== null;
}

/**
 * Whether a client address lies in one of the ranges. IPv4 ranges also match IPv4-mapped IPv6
 * addresses (`::ffff:203.0.113.9`), which is how a dual-stack listener reports IPv4 clients.
 */
export function addressMatcher(cidrs: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const text of cidrs) {
    const cidr = parseCidr(text);
    if (!cidr) throw new Error(`not an IP address or CIDR: ${text}`);
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return (address) => {
    const version = isIP(address);
    return version !== 0 && list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  };
}
