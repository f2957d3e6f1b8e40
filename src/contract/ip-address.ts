/**
 * Which IPv4 addresses can be a key's whitelisted egress address: the rule the stack's settings and
 * the CLI's --expected-ip share.
 */

/** Ranges no exchange will ever see a request from, each with the name an operator recognises. */
const NON_PUBLIC: readonly (readonly [string, number, string])[] = [
  ['0.0.0.0', 8, 'an unspecified address (0.0.0.0/8)'],
  ['10.0.0.0', 8, 'a private address (RFC 1918, 10.0.0.0/8)'],
  ['100.64.0.0', 10, 'a carrier-grade NAT address (RFC 6598, 100.64.0.0/10)'],
  ['127.0.0.0', 8, 'a loopback address (127.0.0.0/8)'],
  ['169.254.0.0', 16, 'a link-local address (169.254.0.0/16)'],
  ['172.16.0.0', 12, 'a private address (RFC 1918, 172.16.0.0/12)'],
  ['192.0.0.0', 24, 'an IETF protocol assignment (RFC 6890, 192.0.0.0/24)'],
  ['192.168.0.0', 16, 'a private address (RFC 1918, 192.168.0.0/16)'],
  ['198.18.0.0', 15, 'a benchmarking address (RFC 2544, 198.18.0.0/15)'],
  ['224.0.0.0', 4, 'a multicast address (224.0.0.0/4)'],
  ['240.0.0.0', 4, 'a reserved address (240.0.0.0/4)'],
];

const ipv4Number = (ip: string) => ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);

/** Why an IPv4 address cannot be a key's whitelisted egress address, or null when it is public. */
export function nonPublicIpv4(ip: string): string | null {
  const n = ipv4Number(ip);
  const hit = NON_PUBLIC.find(([base, bits]) => Math.floor(n / 2 ** (32 - bits)) === Math.floor(ipv4Number(base) / 2 ** (32 - bits)));
  return hit ? hit[2] : null;
}

/** An address to whitelist on an exchange key: IPv4 and public (the exchange sees the NAT's public side). */
