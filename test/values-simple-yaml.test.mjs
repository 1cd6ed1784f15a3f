// The fast reader for simple values files (src/values/simple-yaml.ts) against
// the full YAML parser with the same options: on every YAML file of the
// repository and on generated files full of YAML 1.1 traps, it must either
// decline (undefined) or give exactly the values the full parser gives, and
// never accept a file the full parser finds an error in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { readSimpleValues } from '../dist/values/simple-yaml.js';
import { HELM_YAML_OPTIONS, loadValuesFile } from '../dist/values/sources.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function yamlFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : yamlFiles(p);
    return /\.ya?ml$/.test(e.name) ? [p] : [];
  });
}

/** The full parser's verdict: its values, or undefined where it reports an error (or a duplicate key, which loadValuesFile refuses). */
function fullValues(text) {
  const doc = parseDocument(text, { ...HELM_YAML_OPTIONS, uniqueKeys: true });
  return doc.errors.length > 0 ? undefined : doc.toJS({ maxAliasCount: 100 });
}

/** Checks one text; true when the fast reader accepted it. */
function agrees(text, name) {
  const fast = readSimpleValues(text, HELM_YAML_OPTIONS);
  if (fast === undefined) return false;
  const full = fullValues(text);
  assert.ok(full !== undefined, `${name}: the fast reader accepted a file the full parser refuses:\n${text}`);
  assert.equal(fast, full, `${name}: the fast reader and the full parser disagree on:\n${text}`);
  return true;
}

test('every YAML file of the repository: the fast reader declines or agrees with the full parser', () => {
  const files = ['test/fixtures', 'examples', 'schemas'].flatMap((d) => yamlFiles(join(root, d)));
  assert.ok(files.length > 50, `expected the fixtures, found ${files.length} files`);
  let accepted = 0;
  for (const f of files) if (agrees(readFileSync(f, 'utf8'), f)) accepted++;
  assert.ok(accepted >= 5, `the fast reader accepted only ${accepted} of ${files.length} files`);
});

// Keys and scalars YAML 1.1 reads as something else than they look, and
// syntax outside the fast reader's subset.
const KEYS = ['nas', 'server', 'a.b', 'app.kubernetes.io/name', '_x', 'x-y', 'y', 'n', 'Y', 'yes', 'No', 'on', 'OFF', 'true', 'Null', 'null', '__proto__', 'nas', '"q"', '1', '0x1', '<<', 'a b', '? k', '- k', 'é'];
const SCALARS = [
  'plain', 'two words', 'a  b', 'a#b', 'a #c', 'a # c', 'x:y', 'a: b', 'b:', 'yes', 'No', 'y', 'n', 'on', 'Off', 'TRUE', 'false', '~', 'null', 'NULL',
  '0', '-0', '+1', '-1', '017', '0o17', '-0o17', '0o8', '0x1F', '0X1f', '0b101', '1_000', '1:20', '190:20:30', '2001-12-14', '2001-12-14t21:59:43.10-05:00',
  '1.5', '.5', '-.5', '1e3', '1.5e+3', '1E-2', '.inf', '-.Inf', '.NaN', '12345678901234567890', '0.1', '1.', '+.5', '-x', '- x', '-', '--', '---', '...',
  '"q"', '"a #b"', '"a\\nb"', '"unterminated', "'s'", "'it''s'", "'a' b", '"a" #c', '"a"#c', '""', "''", '[1, 2]', '{a: 1}', '&a x', '*a', '!!str 1', '!x y',
  '|', '>', '%x', '@x', '`x', ',x', 'x,y', 'x]', 'x}', '?x', ':x', '#', '=', '<<', 'é', '10.0.0.2', 'registry-0001', '3.1.2', 'v2.8', '100m', '64Mi',
];

/** Scalars the fast reader takes: every one of them must read as the full parser reads it. */
const PLAIN = SCALARS.filter((s) => /^[A-Za-z0-9+.~_]/.test(s) && !/: |:$| $|#/.test(s));

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function generated(rand) {
  const pick = (xs) => xs[Math.floor(rand() * xs.length)];
  const lines = [];
  let indent = 0;
  const count = 1 + Math.floor(rand() * 8);
  for (let i = 0; i < count; i++) {
    const r = rand();
    if (r < 0.15) lines.push(pick(['', '   ', '# comment', '  # indented comment', '      #']));
    const step = rand();
    if (step < 0.2) indent = Math.max(0, indent - 2);
    else if (step < 0.3) indent = 0;
    else if (step < 0.35) indent += 1;
    const pad = ' '.repeat(indent);
    const key = rand() < 0.75 ? `k${Math.floor(rand() * 40)}` : pick(KEYS);
    const form = rand();
    if (form < 0.3) {
      lines.push(`${pad}${key}:${pick(['', ' ', ' # c'])}`);
      indent += pick([2, 2, 4, 1]);
    } else if (form < 0.95) {
      lines.push(`${pad}${key}: ${rand() < 0.2 ? pick(PLAIN) : pick(SCALARS)}${pick(['', '', ' ', '  # trailing'])}`);
    } else if (form < 0.97) {
      lines.push(`${pad}${pick(SCALARS)}`);
    }
  }
  return `${lines.join('\n')}${rand() < 0.8 ? '\n' : ''}`;
}

test('generated files: the fast reader declines or agrees with the full parser', () => {
  const rand = rng(15);
  let accepted = 0;
  const total = 5000;
  for (let i = 0; i < total; i++) if (agrees(generated(rand), `generated file ${i}`)) accepted++;
  // Both answers must be exercised for the comparison to mean something.
  assert.ok(accepted > total / 20 && accepted < total - total / 20, `the fast reader accepted ${accepted} of ${total} generated files`);
});

test('a file read the fast way still names file:line in messages', () => {
  const file = join(root, 'test/fixtures/clusters/base.yaml');
  const source = loadValuesFile(file);
  const text = readFileSync(file, 'utf8');
  assert.ok(readSimpleValues(text, HELM_YAML_OPTIONS) !== undefined, 'the fixture should be simple enough for the fast reader');
  const [first] = Object.keys(source.values);
  const line = text.split('\n').findIndex((l) => l.startsWith(`${first}:`)) + 1;
  const value = source.values[first];
  // A scalar sits on its key's line; a nested map starts at its first key's line.
  const expected = value !== null && typeof value === 'object' ? line + text.split('\n').slice(line).findIndex((l) => /^\s+[^\s#]/.test(l)) + 1 : line;
  assert.is(source.lineOf([first]), expected);
});

test.run();
