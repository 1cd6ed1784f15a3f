import { Document, isScalar, type DocumentOptions, type ParseOptions, type ScalarTag, type SchemaOptions } from 'yaml';
import type { Values } from './sources.js';

/**
 * A fast reader for the YAML most values files are written in: block maps of
 * `key: scalar` lines, with comments and blank lines. A fleet of cluster files
 * is a thousand of them, and the full parser (tokens, a node tree, line
 * positions) costs most of `validate --cluster-dir`.
 *
 * It only ever answers with the values the full parser gives, or with
 * `undefined` ("not sure; use the full parser"): anything outside the subset
 * (lists, flow collections, block scalars, anchors, tags, escapes, tabs, CR,
 * a BOM, multi-line scalars, duplicate keys, `__proto__`, keys that are not
 * plain strings to YAML 1.1) is left to the full parser, which gives the
 * errors and their line numbers. Scalars are resolved by the very tags of the
 * full parser's schema, so `yes`, `0x1F`, `0o17` or `1_000` read the same.
 * test/values-simple-yaml.test.mjs compares both on every fixture and on
 * generated files.
 */
export function readSimpleValues(text: string, options: ParseOptions & DocumentOptions & SchemaOptions): Values | undefined {
  if (/[\t\r\ufeff]/.test(text)) return undefined;
  const resolve = resolverFor(options);
  const root: Values = {};
  // Open maps, innermost last, with the indent of their keys.
  const open: { indent: number; map: Values; keys: Set<string> }[] = [{ indent: 0, map: root, keys: new Set() }];
  // A `key:` with nothing after it: a nested map if more-indented keys follow, else null.
  let pending: { indent: number; parent: Values; key: string } | undefined;
  const lines = text.split('\n');
  for (const line of lines) {
    const indent = countSpaces(line);
    if (indent === line.length || line[indent] === '#') continue; // blank or comment
    const m = KEY_LINE.exec(line);
    if (!m) return undefined;
    if (pending) {
      if (indent > pending.indent) {
        const map: Values = {};
        pending.parent[pending.key] = map;
        open.push({ indent, map, keys: new Set() });
      } else {
        pending.parent[pending.key] = null;
      }
      pending = undefined;
    }
    // A line indented unlike every open map (e.g. deeper than a `key: scalar`
    // line, which YAML would read as more of that scalar) is left to the full parser.
    while (open.length > 1 && open[open.length - 1].indent > indent) open.pop();
    const here = open[open.length - 1];
    if (here.indent !== indent) return undefined;
    const key = m[2];
    if (key === '__proto__' || here.keys.has(key) || resolve(key, true) !== key) return undefined;
    here.keys.add(key);
    const rest = m[3] ?? '';
    if (rest === '' || rest[0] === '#') {
      pending = { indent, parent: here.map, key };
      continue;
    }
    const value = scalarValue(rest, resolve);
    if (value === undefined) return undefined;
    here.map[key] = value.v;
  }
  if (pending) pending.parent[pending.key] = null;
  return Object.keys(root).length > 0 ? root : undefined;
}

/** `  key: rest`: a plain key of letters, digits, `_`, `.`, `/`, `-`, then `:` and a space or the end. */
const KEY_LINE = /^( *)([A-Za-z_][A-Za-z0-9_./-]*):(?: +(.*))?$/;

/** Characters a plain scalar cannot start with (YAML indicators), except `-` handled below. */
const INDICATORS = new Set([...'?:,[]{}#&*!|>\'"%@`']);

function countSpaces(line: string): number {
  let i = 0;
  while (line.charCodeAt(i) === 0x20) i++;
  return i;
}

type Resolver = (source: string, atKey: boolean) => unknown;

/** The value after `key: `: a quoted string without escapes, or a one-line plain scalar; a trailing comment allowed. */
function scalarValue(rest: string, resolve: Resolver): { v: unknown } | undefined {
  const quote = rest[0];
  if (quote === '"' || quote === "'") {
    const close = rest.indexOf(quote, 1);
    if (close < 0) return undefined;
    const inner = rest.slice(1, close);
    if (quote === '"' && inner.includes('\\')) return undefined;
    return /^( +#.*| *)$/.test(rest.slice(close + 1)) ? { v: inner } : undefined;
  }
  const comment = rest.indexOf(' #');
  const plain = (comment < 0 ? rest : rest.slice(0, comment)).replace(/ +$/, '');
  if (INDICATORS.has(plain[0]) || (plain[0] === '-' && !/^-[0-9.]/.test(plain))) return undefined;
  if (plain.includes(': ') || plain.endsWith(':')) return undefined;
  const v = resolve(plain, false);
  return v === undefined ? undefined : { v };
}

let memo: { options: object; resolve: Resolver } | undefined;

/**
 * Resolves a plain scalar the way the full parser's composer does (the first
 * default tag whose test matches, else a string), with the same schema and
 * options; `undefined` where that would report an error or give anything but
 * a string, a finite-or-not number, a boolean or null. Built once per options.
 */
function resolverFor(options: ParseOptions & DocumentOptions & SchemaOptions): Resolver {
  if (memo?.options === options) return memo.resolve;
  const doc = new Document(null, { ...options, uniqueKeys: false });
  // Collection tags (map, seq and the like) have no test; only scalar tags can match.
  const tags = doc.schema.tags.filter((t): t is ScalarTag => !('collection' in t && t.collection));
  const docOptions = doc.options;
  const resolve: Resolver = (source, atKey) => {
    const tag = tags.find((t) => (t.default === true || (atKey && t.default === 'key')) && t.test?.test(source));
    if (!tag) return source;
    let failed = false;
    let value: unknown;
    try {
      value = tag.resolve(source, () => { failed = true; }, docOptions);
    } catch {
      return undefined;
    }
    if (isScalar(value)) value = value.value;
    if (failed) return undefined;
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
    return undefined;
  };
  memo = { options, resolve };
  return resolve;
}
