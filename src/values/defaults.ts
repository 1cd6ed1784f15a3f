import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { defaultsPath, precompiledDefaultsPath } from '../paths.js';
import { loadValuesFile, type Values, type ValuesSource } from './sources.js';

const LABEL = 'built-in defaults';
let memo: ValuesSource | undefined;

/**
 * The built-in defaults (schemas/values.defaults.yaml) as the first values
 * layer, once per process (a fleet of cluster files shares it; no layer is
 * ever changed in place). scripts/precompile.mjs stores them parsed, with
 * the file's sha256, in dist/values/defaults.json: a command reads that JSON
 * instead of parsing the YAML, unless the file changed since. Line numbers
 * for messages come from parsing the YAML when a message first needs one.
 */
export function builtInDefaults(): ValuesSource {
  if (memo) return memo;
  let values: Values | undefined;
  try {
    const text = readFileSync(defaultsPath);
    const pre = JSON.parse(readFileSync(precompiledDefaultsPath, 'utf8')) as { sha256?: string; values?: Values };
    if (pre.sha256 === createHash('sha256').update(text).digest('hex')) values = pre.values;
  } catch {
    values = undefined;
  }
  if (!values) return (memo = loadValuesFile(defaultsPath, LABEL));
  let parsed: ValuesSource | undefined;
  memo = { label: LABEL, values, lineOf: (path) => (parsed ??= loadValuesFile(defaultsPath, LABEL)).lineOf?.(path) };
  return memo;
}
