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
  for (const assignment of splitUnescaped(arg, ',', true)) {
    const eq = indexOfUnescaped(assignment, '=');
    if (eq <= 0) {
      throw new UserError(`${label}: expected key=value (for example \`${flag} registry.port=5000\`), got "${assignment}".`, 2);
    }
    const path = parseKeyPath(assignment.slice(0, eq), label);
    const raw = assignment.slice(eq + 1);
    const value = raw.startsWith('{') && raw.endsWith('}')
      ? splitUnescaped(raw.slice(1, -1), ',', false).map((v) => typed(unescape(v), flag))
      : typed(unescape(raw), flag);
    setPathInPlace(values, path, structuredClone(value), label);
    assignments.push({ path, value });
  }
  return { label, values, assignments };
}

function typed(v: string, flag: string): unknown {
  if (flag === '--set-string') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  if (v === 'null') return null;
  // Like Helm: integers only, and "0123" stays a string (zip codes, octal modes).
  if (/^-?(0|[1-9][0-9]{0,17})$/.test(v)) return Number(v);
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
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) path.push(Number(idx[1]));
  }
  if (path.length === 0) throw new UserError(`${label}: the key is empty.`, 2);
  return path;
}

function indexOfUnescaped(s: string, ch: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === ch) return i;
  }
  return -1;
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
