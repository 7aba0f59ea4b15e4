import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Whether an address may be called on a tenant's behalf: only globally routable unicast. Loopback,
 * RFC 1918, link-local (the 169.254.169.254 metadata service), CGNAT, multicast, broadcast,
 * unspecified, documentation/benchmark/reserved ranges and their IPv6 counterparts are refused.
 * IPv6 forms that carry an IPv4 address (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4 2002::/16)
 * are judged by the IPv4 address they reach; other tunnelling and translation prefixes are refused.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  // A zone id (fe80::1%eth0) only exists on link-local addresses.
  if (bare.includes('%') || isIP(bare) === 0) return false;
  return isPublic(ipaddr.parse(bare));
}

function isPublic(ip: ipaddr.IPv4 | ipaddr.IPv6): boolean {
  if (ip.kind() === 'ipv4') return ip.range() === 'unicast';
  const v6 = ip as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded) return embedded.range() === 'unicast';
  // ::/96 holds the deprecated IPv4-compatible form (::127.0.0.1) that ipaddr.js calls unicast.
  if (v6.parts.slice(0, 6).every((part) => part === 0)) return false;
  return v6.range() === 'unicast';
}

/** The IPv4 address an IPv6 address is a spelling of, when it is one. */
function embeddedIPv4(ip: ipaddr.IPv6): ipaddr.IPv4 | null {
  const p = ip.parts;
  const fromParts = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  if (ip.isIPv4MappedAddress()) return ip.toIPv4Address();
  if (ip.match(nat64WellKnown)) return fromParts(p[6]!, p[7]!);
  if (ip.match(sixToFour)) return fromParts(p[1]!, p[2]!);
  return null;
}

const nat64WellKnown = ipaddr.parseCIDR('64:ff9b::/96');
const sixToFour = ipaddr.parseCIDR('2002::/16');
