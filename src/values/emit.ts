/**
 * Writes values as YAML that Helm's reader (go-yaml v2 behind
 * sigs.k8s.io/yaml, Helm 3 and 4) reads back to exactly the same data.
 *
 * Written by hand rather than with the `yaml` library's stringify because
 * every string must be escaped for go-yaml, not for YAML 1.2: go-yaml treats
 * NEL (U+0085), LINE SEPARATOR (U+2028), PARAGRAPH SEPARATOR (U+2029) and CR
 * as line breaks, so a raw one inside a plain scalar or a comment starts a new
 * line that Helm reads as keys. Here every string is double-quoted and every
 * character outside the printable set is an escape, and comments are passed
 * through `commentText`, so the output holds printable characters and `\n`
 * line ends only.
 */

/** Characters that go-yaml keeps as written inside a double-quoted scalar and a comment. */
function isSafeChar(cp: number): boolean {
  if (cp >= 0x20 && cp <= 0x7e) return true;
  if (cp === 0x2028 || cp === 0x2029 || cp === 0xfeff) return false;
  if (cp >= 0xa0 && cp <= 0xd7ff) return true;
  if (cp >= 0xe000 && cp <= 0xfffd) return true;
  return cp >= 0x10000 && cp <= 0x10ffff;
}

function escapeChar(cp: number): string {
  if (cp === 0x5c) return '\\\\';
  if (cp === 0x22) return '\\"';
  if (cp === 0x0a) return '\\n';
  if (cp === 0x09) return '\\t';
  if (cp === 0x0d) return '\\r';
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, '0')}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, '0')}`;
  return `\\U${cp.toString(16).padStart(8, '0')}`;
}

/** A string as a go-yaml double-quoted scalar holding only printable characters. */
export function quoteString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    out += cp !== 0x5c && cp !== 0x22 && isSafeChar(cp) ? ch : escapeChar(cp);
  }
  return `${out}"`;
}

/** Text made safe for a one-line `#` comment: unsafe characters are shown as escapes. */
export function commentText(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    out += isSafeChar(cp) ? ch : escapeChar(cp).replace(/^\\\\$/, '\\');
  }
  return out;
}

/** True when the text holds only printable characters and `\n` line ends (what go-yaml reads as written). */
export function isYamlSafeText(text: string): boolean {
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp !== 0x0a && !isSafeChar(cp)) return false;
  }
  return true;
}

/** Words go-yaml (YAML 1.1) would read as something other than a string in a plain key. */
const SPECIAL_WORD = /^(y|yes|n|no|true|false|on|off|null|~|<<|=)$/i;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function key(k: string): string {
  return PLAIN_KEY.test(k) && !SPECIAL_WORD.test(k) ? k : quoteString(k);
}

function scalar(v: unknown, path: string): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return quoteString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`${path}: ${v} cannot be written for Helm (JSON has no such number).`);
    return Object.is(v, -0) ? '0' : String(v);
  }
  throw new Error(`${path}: a ${typeof v} cannot be written for Helm.`);
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function lines(v: unknown, indent: number, path: string, out: string[]): void {
  const pad = ' '.repeat(indent);
  if (isMap(v)) {
    for (const [k, child] of Object.entries(v)) {
      // A null in a chart's values.yaml means nothing to Helm (it drops the key), so none is written.
      if (child === null) continue;
      const where = path ? `${path}.${k}` : k;
      if (isMap(child) && Object.keys(child).some((c) => child[c] !== null)) {
        out.push(`${pad}${key(k)}:`);
        lines(child, indent + 2, where, out);
      } else if (Array.isArray(child) && child.length > 0) {
        out.push(`${pad}${key(k)}:`);
        lines(child, indent + 2, where, out);
      } else {
        out.push(`${pad}${key(k)}: ${isMap(child) ? '{}' : Array.isArray(child) ? '[]' : scalar(child, where)}`);
      }
    }
    return;
  }
  if (Array.isArray(v)) {
    v.forEach((item, i) => {
      const where = `${path}[${i}]`;
      if ((isMap(item) && Object.keys(item).some((c) => item[c] !== null)) || (Array.isArray(item) && item.length > 0)) {
        const start = out.length;
        lines(item, indent + 2, where, out);
        out[start] = `${pad}- ${out[start].slice(indent + 2)}`;
      } else {
        out.push(`${pad}- ${isMap(item) ? '{}' : Array.isArray(item) ? '[]' : scalar(item, where)}`);
      }
    });
    return;
  }
  throw new Error(`${path || 'values'}: expected a map or a list.`);
}

/** The values as block YAML for Helm: maps and lists in block style, every string double-quoted and escaped. */
export function helmValuesYaml(values: Record<string, unknown>): string {
  const out: string[] = [];
  lines(values, 0, '', out);
  return out.length === 0 ? '{}\n' : `${out.join('\n')}\n`;
}

/** The values as Helm will see them from `helmValuesYaml`: map keys set to null are left out. */
export function withoutNullKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withoutNullKeys);
  if (isMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) if (child !== null) out[k] = withoutNullKeys(child);
    return out;
  }
  return v;
}
