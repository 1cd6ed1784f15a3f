import { UserError } from '../errors.js';
import { setPathInPlace } from './merge.js';
import type { ValuePath, Values, ValuesSource } from './sources.js';

/**
 * Parses one `--set` argument with Helm's syntax: `a.b=c,d[0]=e,f={x,y}`,
 * `\` escapes `,` `.` `=` `[` `{`; `true`/`false` become booleans, `null`
 * removes the key, whole numbers become integers (`--set-string` keeps all
 * as strings). Each argument becomes one layer so errors can name it; its
 * `assignments` are applied in order into the merged values, as Helm does.
 */
export function parseSetArgument(arg: string, flag: '--set' | '--set-string' = '--set'): ValuesSource {
  const label = `${flag} ${arg}`;
  const values: Values = {};
  const assignments: { path: ValuePath; value: unknown }[] = [];
  // Scanned like Helm's strvals parser: a key up to '=', then either a list
  // `{a,b}` (only right after '=') or a value up to the next ','. `\` escapes
  // the next character; a `\` at the very end is dropped, as Helm drops it.
  let i = 0;
  while (i < arg.length) {
    let rawKey = '';
    while (i < arg.length && arg[i] !== '=' && arg[i] !== ',') {
      if (arg[i] === '\\' && i + 1 < arg.length) { rawKey += arg[i] + arg[i + 1]; i += 2; continue; }
      rawKey += arg[i];
      i++;
    }
    if (i >= arg.length || arg[i] !== '=' || rawKey === '') {
      throw new UserError(`${label}: expected key=value (for example \`${flag} registry.port=5000\`), got "${rawKey}".`, 2);
    }
    i++; // '='
    const path = parseKeyPath(rawKey, label);
    let value: unknown;
    if (arg[i] === '{') {
      i++;
      const list: unknown[] = [];
      for (;;) {
        const { text, stop, next } = until(arg, i, ',}');
        if (stop === undefined) throw new UserError(`${label}: the list after "${rawKey}=" must end with '}'.`, 2);
        list.push(typed(text, flag, label));
        i = next;
        if (stop === '}') break;
      }
      if (i < arg.length && arg[i] !== ',') {
        throw new UserError(`${label}: expected ',' after the list "${rawKey}={...}", got "${arg.slice(i, i + 20)}" (Helm fails here too).`, 2);
      }
      if (arg[i] === ',') i++;
      value = list;
    } else {
      const { text, next } = until(arg, i, ',');
      value = typed(text, flag, label);
      i = next;
    }
    setPathInPlace(values, path, structuredClone(value), label);
    assignments.push({ path, value });
  }
  if (assignments.length === 0) throw new UserError(`${label}: expected key=value (for example \`${flag} registry.port=5000\`).`, 2);
  return { label, values, assignments };
}

/** Text from `start` up to one of `stops` (unescaped); `stop` is undefined at the end of the argument. */
function until(s: string, start: number, stops: string): { text: string; stop?: string; next: number } {
  let text = '';
  let i = start;
  while (i < s.length) {
    const c = s[i];
    if (c === '\\') {
      if (i + 1 < s.length) text += s[i + 1];
      i += 2;
      continue;
    }
    if (stops.includes(c)) return { text, stop: c, next: i + 1 };
    text += c;
    i++;
  }
  return { text, next: s.length };
}

const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const INT64_MAX = 2n ** 63n - 1n;
/** Helm's strvals refuses list indexes above this. */
export const MAX_SET_INDEX = 65536;

/** A value as Helm types it (strvals typedVal): true/false/null in any case, whole numbers Go's ParseInt takes. */
function typed(v: string, flag: string, label: string): unknown {
  if (flag === '--set-string') return v;
  const lower = v.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (lower === 'null') return null;
  if (v === '0') return 0;
  // Like Helm: no leading zero ("0123" stays a string: zip codes, octal modes), optional sign.
  if (v !== '' && v[0] !== '0' && /^[+-]?[0-9]+$/.test(v)) {
    const n = BigInt(v);
    if (n <= INT64_MAX && n >= -INT64_MAX - 1n) {
      if (n > SAFE_MAX || n < -SAFE_MAX) {
        throw new UserError(`${label}: ${v} is a whole number Helm keeps exactly but creg-chart cannot check exactly (beyond 2^53); use --set-string, or a values file.`, 2);
      }
      return Number(n);
    }
  }
  return v;
}

function parseKeyPath(key: string, label: string): ValuePath {
  const path: ValuePath = [];
  for (const part of splitUnescaped(key, '.', false)) {
    const m = /^((?:[^[\]\\]|\\.)*)((?:\[\d+\])*)$/.exec(part);
    if (!m || (m[1] === '' && path.length === 0)) {
      throw new UserError(`${label}: "${key}" is not a key path; use dots between keys and [N] for list items (for example nas.mountOptions[0]=hard).`, 2);
    }
    if (m[1] !== '') {
      const name = unescape(m[1]);
      if (name === '__proto__') {
        throw new UserError(`${label}: "__proto__" is not a values key (no key of this chart has that name); remove it from the key path.`, 2);
      }
      path.push(name);
    }
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) {
      const n = Number(idx[1]);
      if (n > MAX_SET_INDEX) throw new UserError(`${label}: the list index ${idx[1]} is above ${MAX_SET_INDEX}, the largest Helm accepts.`, 2);
      path.push(n);
    }
  }
  if (path.length === 0) throw new UserError(`${label}: the key is empty.`, 2);
  return path;
}

/** Splits on `sep` outside `\` escapes (and, when asked, outside `{...}` lists). */
function splitUnescaped(s: string, sep: string, respectBraces: boolean): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') { i++; continue; }
    if (respectBraces && c === '{') depth++;
    if (respectBraces && c === '}') depth = Math.max(0, depth - 1);
    if (c === sep && depth === 0) { parts.push(s.slice(start, i)); start = i + 1; }
  }
  parts.push(s.slice(start));
  return parts;
}

function unescape(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}
