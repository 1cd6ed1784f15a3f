import { readFileSync } from 'node:fs';
import { LineCounter, isMap, isNode, isPair, isScalar, isSeq, parseDocument, type ParseOptions, type DocumentOptions, type SchemaOptions } from 'yaml';
import { UserError } from '../errors.js';

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

/**
 * Reads a values file. Empty files, YAML syntax errors, duplicate keys and a
 * top level that is not a map are errors that name the file and the line.
 */
export function loadValuesFile(path: string, label = path): ValuesSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'the file does not exist' : code === 'EISDIR' ? 'it is a directory' : (err as Error).message;
    throw new UserError(`${label}: cannot read the values file: ${why}. Check the path given to -f/--values.`);
  }
  if (text.trim() === '' || /^(\s*#.*\n?)*\s*$/.test(text)) {
    throw new UserError(`${label}: the values file is empty. Put at least one key in it (run \`creg-chart init\` for a commented starter file) or leave out this -f.`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { ...HELM_YAML_OPTIONS, lineCounter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    const where = pos ? `:${pos.line}:${pos.col}` : '';
    const what = e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
    throw new UserError(`${label}${where}: not valid YAML: ${what}. Fix the syntax there (indentation uses spaces; quote strings that hold ':' or '#').`);
  }
  const values = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (values === null || values === undefined) {
    throw new UserError(`${label}: the values file holds no values. Put at least one key in it or leave out this -f.`);
  }
  if (!isPlainObject(values)) {
    const given = Array.isArray(values) ? 'a list' : `the ${typeof values} ${JSON.stringify(values)}`;
    throw new UserError(`${label}: expected a map of keys at the top level (like \`nas:\` and \`registry:\`), but the file holds ${given}.`);
  }
  if (!isMap(doc.contents)) throw new UserError(`${label}: expected a map of keys at the top level.`);
  // A "__proto__" key would become an object's prototype when the layers are
  // merged, not a value: refuse it where it stands.
  const proto = findKey(doc.contents, '__proto__');
  if (proto) {
    const line = proto.range ? `:${lineCounter.linePos(proto.range[0]).line}` : '';
    throw new UserError(`${label}${line}: "__proto__" is not a values key (no key of this chart has that name); remove it.`);
  }
  return {
    label,
    values,
    lineOf(path) {
      const node = doc.getIn(path, true);
      if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      return undefined;
    },
  };
}

/** The first map key named `name` anywhere under `node`, as a YAML node. */
function findKey(node: unknown, name: string): { range?: [number, number, number] | null } | undefined {
  if (isMap(node) || isSeq(node)) {
    for (const item of node.items as unknown[]) {
      if (isPair(item)) {
        const key = item.key as { value?: unknown; range?: [number, number, number] | null } | null;
        if (isScalar(key) && key.value === name) return key as { range?: [number, number, number] | null };
        const found = findKey(item.value, name);
        if (found) return found;
      } else {
        const found = findKey(item, name);
        if (found) return found;
      }
    }
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
