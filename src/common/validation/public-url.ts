import { isIP } from 'node:net';

/**
 * Why `value` cannot be shown to other users as an image URL, or undefined when it can. Only
 * absolute http(s) URLs without credentials pass, and none that points at this machine, a private
 * network or a cloud metadata service (169.254.169.254 and friends): another service that fetches
 * avatars (a mail renderer, a link previewer) must not be steered into the infrastructure.
 * Host names are not resolved: a public name that resolves to a private address is the fetcher's
 * to refuse.
 */
export function imageUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an http(s) URL or the id of an upload';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL or the id of an upload';
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  if (isInternalHost(url.hostname)) return 'must not point at a local, private or metadata address';
  return undefined;
}

const INTERNAL_NAMES = new Set(['localhost', 'metadata', 'metadata.google.internal', 'metadata.goog', 'instance-data']);

/** Loopback, unspecified, private, carrier-grade NAT and link-local addresses, and names for them. */
function isInternalHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
  if (INTERNAL_NAMES.has(host) || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local')) return true;
  // The URL parser already turned every IPv4 spelling (2130706433, 0x7f.1, 127.1) into dotted quads.
  if (isIP(host) === 4) return isInternalIPv4(host);
  if (isIP(host) === 6) return isInternalIPv6(host);
  return false;
}

function isInternalIPv4(address: string): boolean {
  const [a, b] = address.split('.').map(Number);
  return (
    a === 0 || // "this network", 0.0.0.0
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT (Alibaba's metadata service is 100.100.100.200)
    (a === 169 && b === 254) || // link-local: the metadata services of AWS, GCP, Azure, OpenStack
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    a >= 224 // multicast and reserved
  );
}

function isInternalIPv6(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped) return isInternalIPv4(mapped[1]);
  // The URL parser writes IPv4-mapped addresses in hex (::ffff:7f00:1).
  const mappedHex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (mappedHex) {
    const high = parseInt(mappedHex[1], 16);
    const low = parseInt(mappedHex[2], 16);
    return isInternalIPv4(`${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`);
  }
  const first = parseInt(address.split(':')[0] || '0', 16);
  return (
    address === '::' ||
    address === '::1' ||
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7 (AWS's IPv6 metadata service is fd00:ec2::254)
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 // multicast
  );
}
