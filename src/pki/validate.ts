import { isIP } from 'node:net';

/** Raised for bad caller input (an IP, a DNS name, a number of days); the message is a full sentence. */
export class PkiInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PkiInputError';
  }
}

/**
 * Parses an IPv4 or IPv6 literal into its network-order bytes (4 or 16).
 * Returns null when the text is not a plain IP literal (zone ids like `%eth0`,
 * brackets, ports, leading zeros and surrounding spaces are all rejected).
 */
export function ipToBytes(text: string): Uint8Array | null {
  const family = isIP(text);
  if (family === 4) return new Uint8Array(text.split('.').map((p) => Number(p)));
  if (family !== 6 || text.includes('%')) return null;
  let head = text;
  const lastColon = text.lastIndexOf(':');
  const v4 = text.slice(lastColon + 1);
  if (v4.includes('.')) {
    // embedded IPv4 (e.g. ::ffff:1.2.3.4): rewrite the dotted tail as two hex groups
    if (isIP(v4) !== 4) return null;
    const b = v4.split('.').map((p) => Number(p));
    head = text.slice(0, lastColon + 1) + ((b[0] << 8) | b[1]).toString(16) + ':' + ((b[2] << 8) | b[3]).toString(16);
  }
  let groups: number[];
  if (head.includes('::')) {
    const [left, right] = head.split('::');
    const l = left ? left.split(':') : [];
    const r = right ? right.split(':') : [];
    const fill = 8 - l.length - r.length;
    if (fill < 1) return null;
    groups = [...l, ...Array(fill).fill('0'), ...r].map((g) => parseInt(g, 16));
  } else {
    groups = head.split(':').map((g) => parseInt(g, 16));
  }
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  return out;
}

/** Canonical text of an IP: dotted quad for IPv4, eight full hex groups for IPv6 (what node-forge parses reliably). */
export function bytesToCanonicalIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i] << 8) | bytes[i + 1]).toString(16));
  return groups.join(':');
}

/** Validates and canonicalises an IP literal; throws PkiInputError naming `label` (e.g. "--ip"). */
export function normalizeIp(ip: string, label = 'IP address'): string {
  const bytes = typeof ip === 'string' ? ipToBytes(ip.trim() === ip ? ip : '') : null;
  if (!bytes) {
    throw new PkiInputError(
      `${label} ${JSON.stringify(ip)} is not an IPv4 or IPv6 address literal; give one such as 10.100.153.175 or fd00::10 (no port, brackets or zone).`,
    );
  }
  return bytesToCanonicalIp(bytes);
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Validates and lower-cases a DNS name (RFC 1123 host name; a leading `*.` wildcard label is allowed).
 * A trailing dot is removed. Throws PkiInputError naming `label` (e.g. "--dns").
 */
export function normalizeDnsName(name: string, label = 'DNS name'): string {
  const bad = (why: string): never => {
    throw new PkiInputError(`${label} ${JSON.stringify(name)} is not a valid DNS name: ${why}.`);
  };
  if (typeof name !== 'string' || name.length === 0) bad('it is empty');
  let n = name.toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  if (n.length > 253) bad('it is longer than 253 characters');
  if (isIP(n) !== 0 || ipToBytes(n)) bad('it is an IP address; pass IP addresses with --ip instead');
  const labels = n.split('.');
  labels.forEach((l, i) => {
    if (i === 0 && l === '*' && labels.length > 1) return;
    if (!LABEL.test(l)) {
      bad(`label ${JSON.stringify(l)} must be 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'`);
    }
  });
  if (/^[0-9]+$/.test(labels[labels.length - 1])) bad('its last label is all digits');
  return n;
}

/** Validates a whole number of days in [1, 36500]. */
export function checkDays(days: unknown, label = 'validity days'): number {
  const n = typeof days === 'string' && days.trim() !== '' ? Number(days) : days;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 36500) {
    throw new PkiInputError(`${label} must be a whole number of days between 1 and 36500, not ${typeof days === 'number' ? String(days) : JSON.stringify(days)}.`);
  }
  return n;
}

/** Normalises, validates and de-duplicates SAN lists; at least one entry overall is required. */
export function normalizeSans(
  ips: readonly string[] = [],
  dnsNames: readonly string[] = [],
  labels: { ip?: string; dns?: string } = {},
): { ips: string[]; dnsNames: string[] } {
  const outIps = [...new Set(ips.map((ip) => normalizeIp(ip, labels.ip)))];
  const outDns = [...new Set(dnsNames.map((d) => normalizeDnsName(d, labels.dns)))];
  if (outIps.length === 0 && outDns.length === 0) {
    throw new PkiInputError('A server certificate needs at least one IP address or DNS name.');
  }
  return { ips: outIps, dnsNames: outDns };
}
