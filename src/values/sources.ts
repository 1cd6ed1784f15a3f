import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { LineCounter, isAlias, isMap, isNode, isScalar, isSeq, parseDocument, type ParseOptions, type DocumentOptions, type SchemaOptions } from 'yaml';
import { UserError } from '../errors.js';
import { readSimpleValues } from './simple-yaml.js';

export type ValuePath = (string | number)[];
export type Values = Record<string, unknown>;

/** One layer of values: the defaults, a `-f` file, or one `--set` argument. */
export interface ValuesSource {
  /** How messages name this layer: a file path or `--set a.b=c`. */
  label: string;
  values: Values;
  /** `--set` layers: the assignments in order, written into the merged values in place. */
  assignments?: { path: ValuePath; value: unknown }[];
  /** 1-based line of the node at `path`, where the layer is a file. */
  lineOf?: (path: ValuePath) => number | undefined;
}

export function isPlainObject(v: unknown): v is Values {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * YAML as Helm reads values files (sigs.k8s.io/yaml over go-yaml v2, i.e.
 * YAML 1.1): `yes`/`no`/`on`/`off`/`y`/`n` are booleans, `0123` is octal,
 * `0x1F` hex, `0b101` binary, `0o17` octal, `1_000` an integer; but unlike
 * the YAML 1.1 spec, `1:20` (sexagesimal) and `2001-12-14` (timestamp) stay
 * strings. Checked against Helm 3.17 and 4.1 in test/merge-helm.test.mjs.
 */
export const HELM_YAML_OPTIONS: ParseOptions & DocumentOptions & SchemaOptions = {
  version: '1.1',
  customTags: (tags) => [
    ...tags.filter((t) => !(typeof t === 'object' && (t.format === 'TIME' || t.tag === 'tag:yaml.org,2002:timestamp'))),
    {
      identify: (v: unknown) => typeof v === 'number',
      default: true,
      tag: 'tag:yaml.org,2002:int',
      format: 'OCT',
      test: /^[-+]?0o[0-7_]+$/,
      resolve: (str: string) => (str.startsWith('-') ? -1 : 1) * parseInt(str.replace(/^[-+]?0o/, '').replace(/_/g, ''), 8),
    },
  ],
};

/** Values files larger than this are refused (Helm keeps a release, values included, in one 1 MiB Secret). */
export const MAX_VALUES_FILE_BYTES = 4 * 1024 * 1024;

/**
 * Explicit tags Helm's reader (go-yaml v2) and ours read the same way. Not
 * !!float, !!int, !!bool or !!null: `!!float 1` is the number 1 to Helm and
 * the string "1" to our parser (test/fixtures/hostile/tag-float-on-integer.yaml).
 */
const SAME_TAGS = new Set(['str', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));
const TAG_HINT: Record<string, string> = {
  'tag:yaml.org,2002:binary': 'Helm keeps !!binary data as its base64 text, not as bytes; write the plain string',
  'tag:yaml.org,2002:omap': 'Helm reads !!omap as a list of one-key maps, not as a map; write a plain map',
  'tag:yaml.org,2002:pairs': 'Helm reads !!pairs as a list of one-key maps; write a plain map or list',
  'tag:yaml.org,2002:set': 'Helm reads !!set as a map whose values are null, not as a list; write a plain list',
  'tag:yaml.org,2002:timestamp': 'Helm keeps timestamps as strings; write the date as a quoted string',
};

/**
 * Reads a file the user named: a regular file only (a FIFO, a device such as
 * /dev/zero, or a folder is refused before anything is read), at most
 * `maxBytes`, opened non-blocking so that a FIFO cannot hang the command.
 */
export function readRegularFile(path: string, label: string, what: string, maxBytes: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'the file does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new UserError(`${label}: cannot read the ${what}: ${why}. Check the path.`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const kind = st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO (named pipe)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
      throw new UserError(`${label}: cannot read the ${what}: it is ${kind}; give a regular file.`);
    }
    if (st.size > maxBytes) {
      throw new UserError(`${label}: the ${what} is ${st.size} bytes; at most ${maxBytes} bytes are read. Give a smaller file.`);
    }
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

/** 1-based line and column of offset `i` in `text`. */
function lineCol(text: string, i: number): string {
  let line = 1;
  let last = -1;
  for (let j = text.indexOf('\n'); j !== -1 && j < i; j = text.indexOf('\n', j + 1)) { line++; last = j; }
  return `${line}:${i - last}`;
}

/**
 * The first character Helm's YAML reader would read differently from ours:
 * go-yaml refuses control characters and treats NEL, U+2028, U+2029 and a
 * lone CR as line breaks (anywhere, comments included), where our parser
 * does not. Written as escapes inside double quotes they mean the same to both.
 */
function firstUnsafeChar(text: string): { index: number; cp: number } | undefined {
  for (let i = 0; i < text.length; i++) {
    const cp = text.charCodeAt(i);
    if (cp >= 0x20 && cp <= 0x7e) continue;
    if (cp === 0x0a || cp === 0x09) continue;
    if (cp === 0x0d && text.charCodeAt(i + 1) === 0x0a) continue;
    if (cp === 0xfeff && i === 0) continue;
    if (cp >= 0xa0 && cp <= 0xd7ff && cp !== 0x2028 && cp !== 0x2029) continue;
    if (cp >= 0xe000 && cp <= 0xfffd && cp !== 0xfeff) continue;
    if (cp >= 0xd800 && cp <= 0xdbff) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) { i++; continue; }
    }
    return { index: i, cp };
  }
  return undefined;
}

function charName(cp: number): string {
  if (cp === 0x2028) return 'LINE SEPARATOR';
  if (cp === 0x2029) return 'PARAGRAPH SEPARATOR';
  if (cp === 0x85) return 'NEXT LINE (NEL)';
  if (cp === 0x0d) return 'a carriage return without a line feed';
  if (cp === 0xfeff) return 'a byte order mark';
  return 'a control character';
}

/**
 * Reads a values file. Empty files, YAML syntax errors, duplicate keys and a
 * top level that is not a map are errors that name the file and the line; so
 * is anything Helm's reader (go-yaml v2) would read differently: bytes that
 * are not UTF-8, raw control characters and line separators, tags such as
 * !!binary, !!omap and !!set, numbers JSON cannot hold, alias bombs.
 */
export function loadValuesFile(path: string, label = path): ValuesSource {
  const bytes = readRegularFile(path, label, 'values file', MAX_VALUES_FILE_BYTES);
  let text: string;
  try {
    text = STRICT_UTF8.decode(bytes);
  } catch {
    const loose = new TextDecoder('utf-8').decode(bytes);
    const at = loose.indexOf('\ufffd');
    throw new UserError(`${label}${at >= 0 ? `:${lineCol(loose, at)}` : ''}: the file is not UTF-8 text (Helm refuses it); save it as UTF-8.`);
  }
  const unsafe = firstUnsafeChar(text);
  if (unsafe) {
    const breaks = unsafe.cp === 0x2028 || unsafe.cp === 0x2029 || unsafe.cp === 0x85 || unsafe.cp === 0x0d;
    const hex = unsafe.cp.toString(16).toUpperCase().padStart(4, '0');
    throw new UserError(`${label}:${lineCol(text, unsafe.index)}: U+${hex} (${charName(unsafe.cp)}) written as is: Helm's YAML reader ${breaks ? 'takes it for a line break' : 'refuses it'}, so Helm would not read what creg-chart checks. Write it as the escape \\u${hex} inside a double-quoted string, or remove it.`);
  }
  if (text.trim() === '' || /^(\s*#.*\n?)*\s*$/.test(text)) {
    throw new UserError(`${label}: the values file is empty. Put at least one key in it (run \`creg-chart init\` for a commented starter file) or leave out this -f.`);
  }
  // Most values files are simple block maps: read those without building a
  // node tree, and parse in full only when a message needs a line number.
  const simple = readSimpleValues(text, HELM_YAML_OPTIONS);
  if (simple && !nonFinite(simple, [])) {
    let full: ValuesSource | undefined;
    return { label, values: simple, lineOf: (path) => (full ??= parseValuesYaml(text, label)).lineOf?.(path) };
  }
  return parseValuesYaml(text, label);
}

/** Decodes values files; one decoder serves every file (a fleet reads a thousand). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses the text of a values file with the full YAML parser: the values,
 * line numbers for messages, and every check loadValuesFile promises.
 */
function parseValuesYaml(text: string, label: string): ValuesSource {
  const lineCounter = new LineCounter();
  const lineOfNode = (node: unknown): string => {
    const range = (node as { range?: [number, number, number] | null } | null)?.range;
    return range ? `:${lineCounter.linePos(range[0]).line}` : '';
  };
  // Built only when thrown (an Error records its stack when made).
  const tooDeep = (): UserError => new UserError(`${label}: the YAML is nested too deeply to read. Flatten it.`);
  let doc: ReturnType<typeof parseDocument>;
  try {
    // Duplicate keys are found below in linear time (the parser's own check compares every pair).
    doc = parseDocument(text, { ...HELM_YAML_OPTIONS, lineCounter, uniqueKeys: false, prettyErrors: true });
  } catch (err) {
    if (err instanceof RangeError) throw tooDeep();
    throw err;
  }
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    const where = pos ? `:${pos.line}:${pos.col}` : '';
    const what = /call stack/i.test(e.message) ? 'it is nested too deeply' : e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new UserError(`${label}${where}: not valid YAML: ${what}. Fix the syntax there (indentation uses spaces; quote strings that hold ':' or '#').`);
  }
  // One pass over the tree: duplicate keys, "__proto__", tags Helm reads differently.
  const check = (node: unknown): void => {
    const tag = (node as { tag?: string } | null)?.tag;
    if (tag && !SAME_TAGS.has(tag)) {
      const hint = TAG_HINT[tag] ?? (tag.startsWith('tag:yaml.org,2002:') ? 'Helm and creg-chart do not read this tag the same way; write the value without it' : 'Helm does not read local tags the way creg-chart does; remove the tag');
      throw new UserError(`${label}${lineOfNode(node)}: the tag ${tag.replace('tag:yaml.org,2002:', '!!')} is not supported in values: ${hint}.`);
    }
    if (isAlias(node) && node.resolve(doc) === undefined) {
      throw new UserError(`${label}${lineOfNode(node)}: not valid YAML: the alias *${node.source} names no anchor (&${node.source}) before it. Define the anchor first or write the value out.`);
    }
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const item of node.items) {
        const key = item.key;
        const name = isScalar(key) ? String(key.value) : undefined;
        if (name === '__proto__') {
          throw new UserError(`${label}${lineOfNode(key)}: "__proto__" is not a values key (no key of this chart has that name); remove it.`);
        }
        if (name !== undefined && name !== '<<') {
          if (seen.has(name)) throw new UserError(`${label}${lineOfNode(key)}: not valid YAML: the key "${name.slice(0, 80)}" appears twice in the same map (Helm would keep only the last). Remove one.`);
          seen.add(name);
        }
        if (isNode(key)) check(key);
        check(item.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) check(item);
    }
  };
  let values: unknown;
  try {
    check(doc.contents);
    values = doc.toJS({ maxAliasCount: 100 }) as unknown;
  } catch (err) {
    if (err instanceof ReferenceError && /excessive alias/i.test(err.message)) {
      throw new UserError(`${label}: its aliases (*name) expand to too many values (a YAML "billion laughs" bomb, or far more aliases than a values file needs). Write the values out.`);
    }
    if (err instanceof RangeError) throw tooDeep();
    throw err;
  }
  if (values === null || values === undefined) {
    throw new UserError(`${label}: the values file holds no values. Put at least one key in it or leave out this -f.`);
  }
  if (!isPlainObject(values)) {
    const given = Array.isArray(values) ? 'a list' : `the ${typeof values} ${JSON.stringify(values)}`;
    throw new UserError(`${label}: expected a map of keys at the top level (like \`nas:\` and \`registry:\`), but the file holds ${given}.`);
  }
  if (!isMap(doc.contents)) throw new UserError(`${label}: expected a map of keys at the top level.`);
  const lineOf = (path: ValuePath): number | undefined => {
    const node = doc.getIn(path, true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
    return undefined;
  };
  const bad = nonFinite(values, []);
  if (bad) {
    const line = lineOf(bad);
    throw new UserError(`${label}${line ? `:${line}` : ''}: ${bad.join('.')}: .inf and .nan are not values Helm can hold (its values are JSON); write a number or a quoted string.`);
  }
  return { label, values, lineOf };
}

function nonFinite(v: unknown, path: ValuePath): ValuePath | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? undefined : path;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) { const r = nonFinite(v[i], [...path, i]); if (r) return r; }
  } else if (isPlainObject(v)) {
    for (const [k, c] of Object.entries(v)) { const r = nonFinite(c, [...path, k]); if (r) return r; }
  }
  return undefined;
}

/** True where `path` is set (to anything, null included) in `values`. */
export function hasPath(values: unknown, path: ValuePath): boolean {
  let cur: unknown = values;
  for (const key of path) {
    if (Array.isArray(cur) && typeof key === 'number') {
      if (key >= cur.length) return false;
      cur = cur[key];
    } else if (isPlainObject(cur) && typeof key === 'string') {
      if (!Object.prototype.hasOwnProperty.call(cur, key)) return false;
      cur = cur[key];
    } else {
      return false;
    }
  }
  return true;
}

/** Names the last layer that set `path` (or its nearest set parent), with a line where known. */
export function whereSet(sources: ValuesSource[], path: ValuePath): string {
  for (let depth = path.length; depth >= 0; depth--) {
    const prefix = path.slice(0, depth);
    for (let i = sources.length - 1; i >= 0; i--) {
      const s = sources[i];
      if (depth > 0 && !hasPath(s.values, prefix)) continue;
      if (depth === 0) return s.label;
      const line = s.lineOf?.(prefix);
      return line ? `${s.label}:${line}` : s.label;
    }
  }
  return sources[sources.length - 1]?.label ?? 'values';
}
