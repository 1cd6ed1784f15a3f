/**
 * Writes a chart folder as the .tgz `helm package` writes, in this process
 * (one helm start less per build). What Helm 3 and 4 write, and so what this
 * writes (test/package.test.mjs compares the two for both helms: file list,
 * order, modes, owners, contents, `helm show chart/values`, `helm template`,
 * `helm lint` of the archive):
 *
 * - gzip with Helm's header: no name, mtime 0, OS 255, the extra field Helm
 *   sets and the comment "Helm";
 * - a USTAR tar without directory entries, every entry `<chart>/<path>`,
 *   mode 0644, uid/gid 0, no user or group names, in Helm's order:
 *   Chart.yaml, values.yaml, values.schema.json, templates/** then every
 *   other file, each group in the order Go's filepath.Walk visits them
 *   (names sorted byte-wise, depth first); two zero blocks at the end.
 *
 * Two deliberate differences: Chart.yaml is stored as written (Helm stores
 * its own re-serialisation of the same fields: same `helm show chart`), and
 * every mtime is SOURCE_DATE_EPOCH or 2000-01-01T00:00:00Z instead of the
 * time of packaging, so the same input gives the same bytes (and the same
 * sha256, which `publish` compares).
 *
 * Charts this does not model (subcharts in charts/, Chart.lock, a file that
 * a .helmignore rule or Helm's own rules might drop, a UTF-8 byte-order
 * mark Helm strips, names a USTAR header cannot hold, anything but regular
 * files) get a reason instead of bytes; the build then runs `helm package`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { promisify } from 'node:util';

/** The gzip extra field `helm package` writes (pkg/chartutil/save.go: headerBytes). */
const HELM_GZIP_EXTRA = Buffer.from('+aHR0cHM6Ly95b3V0dS5iZS96OVV6MWljandyTQo=');
const HELM_GZIP_COMMENT = 'Helm';
/** 2000-01-01T00:00:00Z: a fixed, plausible mtime for reproducible archives. */
export const DEFAULT_MTIME = 946684800;

export interface PackInput {
  /** The chart folder (its name need not be the chart's). */
  chartDir: string;
  /** The chart's name (Chart.yaml `name`): the folder every entry sits in. */
  chartName: string;
  /** Paths inside the chart (`/`-separated) to leave out, e.g. lint-only checks. */
  exclude?: ReadonlySet<string>;
  /** Contents to use instead of (or besides) the file on disk, by path inside the chart. */
  contents?: ReadonlyMap<string, Uint8Array>;
  /** Seconds since the epoch for every entry (default SOURCE_DATE_EPOCH, else 2000-01-01). */
  mtime?: number;
}

export type PackResult = { tgz: Buffer; files: string[] } | { refused: string };

const deflateRaw = promisify(zlib.deflateRaw);

/** The mtime archives get: SOURCE_DATE_EPOCH (reproducible-builds.org) when it is a whole number. */
export function archiveMtime(env: NodeJS.ProcessEnv = process.env): number {
  const s = env.SOURCE_DATE_EPOCH;
  return s !== undefined && /^\d{1,11}$/.test(s) ? Number(s) : DEFAULT_MTIME;
}

export async function packChart(input: PackInput): Promise<PackResult> {
  const exclude = input.exclude ?? new Set<string>();
  const extra = new Map(input.contents ?? []);
  const walked: string[] = [];
  let refused: string | undefined;
  // Go's filepath.Walk: names sorted byte-wise, directories entered where they sort.
  // Synchronous reads: a few dozen small files, faster than a thread-pool round trip each.
  const walk = (rel: string): void => {
    const entries = readdirSync(join(input.chartDir, rel), { withFileTypes: true });
    const names = entries.map((e) => e.name);
    for (const name of extra.keys()) {
      const slash = name.lastIndexOf('/');
      if ((slash < 0 ? '' : name.slice(0, slash)) === rel && !names.includes(name.slice(slash + 1))) names.push(name.slice(slash + 1));
    }
    names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const byName = new Map(entries.map((e) => [e.name, e]));
    for (const name of names) {
      const path = rel ? `${rel}/${name}` : name;
      if (exclude.has(path)) continue;
      const entry = byName.get(name);
      if (entry?.isDirectory()) walk(path);
      else if (!entry || entry.isFile()) walked.push(path);
      else refused ??= `${path} is not a regular file`;
    }
  };
  walk('');
  if (refused) return { refused };

  let helmignore = extra.get('.helmignore')?.toString();
  if (helmignore === undefined) {
    try {
      helmignore = readFileSync(join(input.chartDir, '.helmignore'), 'utf8');
    } catch {
      helmignore = '';
    }
  }
  const reason = unsupported(walked, helmignore);
  if (reason) return { refused: reason };

  const special = ['Chart.yaml', 'values.yaml', 'values.schema.json'];
  const ordered = [
    ...special.filter((f) => walked.includes(f)),
    ...walked.filter((f) => f.startsWith('templates/')),
    ...walked.filter((f) => !special.includes(f) && !f.startsWith('templates/')),
  ];
  if (!ordered.includes('Chart.yaml')) return { refused: 'the chart has no Chart.yaml' };

  const mtime = input.mtime ?? archiveMtime();
  const blocks: Buffer[] = [];
  for (const path of ordered) {
    const body = extra.get(path) ?? readFileSync(join(input.chartDir, path));
    if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return { refused: `${path} starts with a UTF-8 byte-order mark, which Helm strips` };
    const name = `${input.chartName}/${path}`;
    const header = ustarHeader(name, body.length, mtime);
    if (!header) return { refused: `${name} does not fit a USTAR header (ASCII, at most 100 bytes)` };
    blocks.push(header, Buffer.from(body.buffer, body.byteOffset, body.byteLength));
    const pad = (512 - (body.length % 512)) % 512;
    if (pad) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  const tar = Buffer.concat(blocks);
  return { tgz: await gzipLikeHelm(tar), files: ordered };
}

/** Why Helm might store another file list than the walk found, or undefined. */
function unsupported(files: string[], helmignore: string): string | undefined {
  for (const f of files) {
    if (f.startsWith('charts/')) return `subcharts (${f}) are packaged by helm package`;
    if (f === 'Chart.lock' || f === 'requirements.yaml' || f === 'requirements.lock') return `${f} is packaged by helm package`;
    // Helm's default rule: hidden files under templates/ are ignored.
    if (/^templates\/(.*\/)?\.[^/]/.test(f)) return `${f}: Helm ignores hidden files under templates/`;
  }
  for (const raw of helmignore.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (/[[\]\\!]|\*\*/.test(line)) return `.helmignore rule "${line}" is applied by helm package`;
    const dirOnly = line.endsWith('/');
    const pattern = line.replace(/^\//, '').replace(/\/$/, '');
    const re = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '[^/]*' : c === '?' ? '[^/]' : c.replace(/[.+^${}()|]/g, '\\$&'))).join('')}$`);
    // A superset of what Helm's rules match: every folder and the file, by path and by name.
    for (const f of files) {
      const parts = f.split('/');
      const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
      const candidates = dirOnly ? [...prefixes.slice(0, -1), ...parts.slice(0, -1)] : [...prefixes, ...parts];
      if (candidates.some((c) => re.test(c))) return `${f} matches the .helmignore rule "${line}"`;
    }
  }
  return undefined;
}

function ustarHeader(name: string, size: number, mtime: number): Buffer | undefined {
  if (Buffer.byteLength(name) > 100 || !/^[\x20-\x7e]+$/.test(name)) return undefined;
  const h = Buffer.alloc(512);
  const octal = (value: number, offset: number, width: number) => h.write(`${value.toString(8).padStart(width - 1, '0')}\0`, offset, 'ascii');
  h.write(name, 0, 'ascii');
  octal(0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  octal(size, 124, 12);
  octal(mtime, 136, 12);
  h.write('        ', 148, 'ascii');
  h.write('0', 156, 'ascii');
  h.write('ustar\0' + '00', 257, 'ascii');
  octal(0, 329, 8);
  octal(0, 337, 8);
  let sum = 0;
  for (const b of h) sum += b;
  // As Go's archive/tar writes it: six octal digits, NUL, space.
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

async function gzipLikeHelm(data: Buffer): Promise<Buffer> {
  const header = Buffer.alloc(10);
  header.set([0x1f, 0x8b, 8, 0x04 | 0x10], 0); // deflate; FEXTRA and FCOMMENT
  header[9] = 0xff; // OS unknown, as Go writes it; mtime and XFL stay 0
  const xlen = Buffer.alloc(2);
  xlen.writeUInt16LE(HELM_GZIP_EXTRA.length);
  const trailer = Buffer.alloc(8);
  trailer.writeUInt32LE(crc32(data), 0);
  trailer.writeUInt32LE(data.length % 2 ** 32, 4);
  const body = await deflateRaw(data, { level: 6 });
  return Buffer.concat([header, xlen, HELM_GZIP_EXTRA, Buffer.from(`${HELM_GZIP_COMMENT}\0`, 'latin1'), body, trailer]);
}

let crcTable: Uint32Array | undefined;
function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32; // Node >= 20.15
  if (native) return native(data) >>> 0;
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of data) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
