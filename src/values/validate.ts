import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runCommonJs } from '../code-cache.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { precompiledValidatorPath, schemaPath } from '../paths.js';
import { whereSet, type ValuePath, type Values, type ValuesSource } from './sources.js';

const requireFromHere = createRequire(import.meta.url);

/** The parts of a JSON schema node that messages and the chart README read. */
export interface SchemaNode {
  description?: string;
  type?: string | string[];
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  enum?: unknown[];
  anyOf?: SchemaNode[];
  minimum?: number;
  maximum?: number;
  pattern?: string;
  not?: SchemaNode;
  allOf?: SchemaNode[];
  additionalProperties?: boolean | SchemaNode;
}

let compiled: { validate: ValidateFunction; schema: SchemaNode } | undefined;

/**
 * The schema and its validator, once per process. The validator is the one
 * scripts/compile-schema.mjs generated at compile time (ajv standalone code;
 * compiling the schema here costs ~300 ms a command) unless the schema
 * changed since, in which case it is compiled now with the same options
 * (ajv's default class is draft-07).
 */
export function valuesSchema(): { validate: ValidateFunction; schema: SchemaNode } {
  if (!compiled) {
    const text = readFileSync(schemaPath, 'utf8');
    const schema = JSON.parse(text) as SchemaNode;
    const sha256 = createHash('sha256').update(text).digest('hex');
    let validate: ValidateFunction | undefined;
    if (existsSync(precompiledValidatorPath)) {
      // From V8's code cache when it fits (src/code-cache.ts): compiling the generated code is most of its cost.
      const generated = runCommonJs(precompiledValidatorPath)?.exports as (ValidateFunction & { schemaSha256?: string; default?: ValidateFunction }) | undefined;
      if (generated?.schemaSha256 === sha256) validate = generated.default ?? generated;
    }
    if (!validate) {
      const { Ajv } = requireFromHere('ajv') as typeof import('ajv');
      validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    }
    compiled = { validate, schema };
  }
  return compiled;
}

/**
 * Checks merged values against the schema. Every problem names the layer
 * (file:line or --set) that gave the bad value, the field, what was expected,
 * what was given, and what to do.
 */
export function validateValues(values: Values, sources: ValuesSource[]): string[] {
  const { validate, schema } = valuesSchema();
  if (validate(values)) return [];
  const all = validate.errors ?? [];
  // anyOf/oneOf errors by value path: one lookup per error keeps this linear in the number of errors.
  const unions = new Map<string, ErrorObject[]>();
  for (const o of all) if (o.keyword === 'anyOf' || o.keyword === 'oneOf') unions.set(o.instancePath, [...(unions.get(o.instancePath) ?? []), o]);
  const errors = all.filter((e) => !isNoise(e, unions.get(e.instancePath) ?? []));
  const seen = new Set<string>();
  const problems: string[] = [];
  const MAX_PROBLEMS = 50;
  for (const e of errors) {
    if (problems.length >= MAX_PROBLEMS) {
      problems.push(`... and more problems after these ${MAX_PROBLEMS}; fix these first.`);
      break;
    }
    const path = pointerToPath(e.instancePath);
    const message = describe(e, path, values, schema, sources);
    if (!seen.has(message)) {
      seen.add(message);
      problems.push(message);
    }
  }
  return problems;
}

/** Drops ajv's follow-on errors (`anyOf` summaries once its branches are reported, `not` wrappers). */
function isNoise(e: ErrorObject, unionsHere: ErrorObject[]): boolean {
  // "must match "then" schema": the failing keyword inside `then` is reported with the rule's reason.
  if (e.keyword === 'if') return true;
  if (e.keyword === 'anyOf' || e.keyword === 'oneOf') return false;
  // For an anyOf (quantities), report only the anyOf summary, not each branch.
  return unionsHere.some((o) => o.instancePath === e.instancePath && e.schemaPath.startsWith(o.schemaPath.replace(/\/(anyOf|oneOf)$/, '')) && e !== o && e.schemaPath.includes('/anyOf/'));
}

function pointerToPath(pointer: string): ValuePath {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

export function formatPath(path: ValuePath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out || '(top level)';
}

function schemaAt(schema: SchemaNode, path: ValuePath): SchemaNode | undefined {
  let cur: SchemaNode | undefined = schema;
  for (const p of path) {
    if (!cur) return undefined;
    cur = typeof p === 'number' ? cur.items : cur.properties?.[p];
  }
  return cur;
}

/** The schema node at an ajv schemaPath such as `#/properties/nas/allOf/1/not`. */
function schemaAtPointer(schema: SchemaNode, pointer: string): SchemaNode | undefined {
  let cur: unknown = schema;
  for (const part of pointer.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    cur = (cur as Record<string, unknown> | undefined)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return typeof cur === 'object' && cur !== null ? (cur as SchemaNode) : undefined;
}

function valueAt(values: unknown, path: ValuePath): unknown {
  let cur = values as Record<string | number, unknown> | undefined;
  for (const p of path) cur = cur?.[p] as Record<string | number, unknown> | undefined;
  return cur;
}

function given(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return `a list (${JSON.stringify(v).slice(0, 60)})`;
  if (typeof v === 'object') return 'a map';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 100 ? `${v.slice(0, 100)}...` : v)}${v.length > 100 ? ` (${v.length} characters)` : ''}`;
  return `${typeof v === 'number' && !Number.isInteger(v) ? 'the number' : typeof v === 'number' ? 'the integer' : `the ${typeof v}`} ${JSON.stringify(v)}`;
}

function closest(word: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestScore) { bestScore = d; best = o; }
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/**
 * The reason a conditional rule (`if`/`then`) gives for itself: the
 * `description` of the sub-schema that holds the failing keyword, when that
 * sub-schema sits under a `then` (cross-field rules such as "a ReadWriteOnce
 * claim allows one replica"). Empty otherwise.
 */
function ruleReason(e: ErrorObject, schema: SchemaNode): string {
  if (!e.schemaPath.includes('/then/')) return '';
  const parts = e.schemaPath.replace(/^#\//, '').split('/').slice(0, -1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: unknown = schema;
  for (const p of parts) cur = (cur as Record<string, unknown> | undefined)?.[p];
  const d = (cur as SchemaNode | undefined)?.description;
  return d ? ` ${d.replace(/\.$/, '')}.` : '';
}

function describe(e: ErrorObject, path: ValuePath, values: Values, schema: SchemaNode, sources: ValuesSource[]): string {
  const reason = ruleReason(e, schema);
  return describeKeyword(e, path, values, schema, sources) + reason;
}

function describeKeyword(e: ErrorObject, path: ValuePath, values: Values, schema: SchemaNode, sources: ValuesSource[]): string {
  const params = e.params as Record<string, unknown>;
  const node = schemaAt(schema, path);
  const value = valueAt(values, path);
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const full = [...path, key];
      const allowed = Object.keys(node?.properties ?? {});
      const guess = closest(key, allowed);
      if (formatPath(path) === 'storage.s3' && /^(access|secret)(key|keyid)?$|password|credential/i.test(key)) {
        return `${whereSet(sources, full)}: ${formatPath(full)}: unknown key; S3 credentials never go into values (they would end up in the chart and the release record): put them in a Secret (kubectl create secret generic registry-s3 --from-literal=AWS_ACCESS_KEY_ID=... --from-literal=AWS_SECRET_ACCESS_KEY=...) and set storage.s3.existingSecret, or leave it empty to use the pod's identity.`;
      }
      const hint = guess ? `did you mean "${formatPath([...path, guess])}"?` : `remove it; the keys allowed here are: ${allowed.join(', ')}.`;
      return `${whereSet(sources, full)}: ${formatPath(full)}: unknown key; ${hint}`;
    }
    case 'required': {
      const key = String(params.missingProperty);
      return `${whereSet(sources, path)}: ${formatPath([...path, key])}: required but missing (was it removed with null?). Set it${schemaAt(schema, [...path, key])?.description ? `: ${schemaAt(schema, [...path, key])!.description}` : '.'}`;
    }
    case 'type': {
      const want = String(params.type).replace(/,/g, ' or ');
      const fix = want === 'integer' && typeof value === 'string' && /^\d+$/.test(value) ? ` Write it without quotes: ${value}.` : '';
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected ${want === 'object' ? 'a map' : want === 'array' ? 'a list' : `a${/^[aeiou]/.test(want) ? 'n' : ''} ${want}`}, got ${given(value)}.${fix}`;
    }
    case 'minimum':
    case 'maximum': {
      const range = !e.schemaPath.includes('/then/') && node?.minimum !== undefined && node?.maximum !== undefined ? `from ${node.minimum} to ${node.maximum}` : `${e.keyword === 'minimum' ? '>=' : '<='} ${params.limit}`;
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected a whole number ${range}, got ${given(value)}.`;
    }
    case 'enum':
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${given(value)}.`;
    case 'not': {
      // A `not` that explains itself. A description in lower case is the reason a
      // value is refused ("a system directory: ..."); one that starts with a
      // capital says what to do ("Give value or valueFrom, not both").
      const own = notDescription(e, schema);
      if (own && /^[a-z"]/.test(own)) return `${whereSet(sources, path)}: ${formatPath(path)}: ${given(value)} is refused: ${own}.`;
      if (own) return `${whereSet(sources, path)}: ${formatPath(path)}: ${lowerFirst(own)}; got ${given(value)}.`;
      if (typeof value !== 'string') return `${whereSet(sources, path)}: ${formatPath(path)}: ${e.message ?? 'is not valid'}.`;
    }
    // falls through
    case 'pattern':
    case 'maxLength':
    case 'minLength': {
      const what = node?.description ? node.description.replace(/\.$/, '') : `a string matching ${node?.pattern}`;
      const extra = e.keyword === 'maxLength' ? ` (at most ${params.limit} characters)` : e.keyword === 'not' ? ' without "." or ".." segments' : '';
      const unsafe = typeof value === 'string' && /[^A-Za-z0-9._\/:=-]/.test(value)
        ? ' Shell and YAML special characters and spaces are refused because this value reaches a script and a manifest.'
        : '';
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected ${lowerFirst(what)}${extra}, got ${given(value)}.${unsafe}`;
    }
    case 'minProperties':
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected ${lowerFirst((node?.description ?? `at least ${params.limit} keys`).replace(/\.$/, ''))}, got ${given(value)}${value && typeof value === 'object' ? ` with ${Object.keys(value).length} key(s)${Object.keys(value).length ? `: ${Object.keys(value).join(', ')}` : ''}` : ''}.`;
    case 'minItems':
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected at least ${params.limit} item(s), got ${Array.isArray(value) ? value.length : given(value)}.`;
    case 'uniqueItems':
      return `${whereSet(sources, path)}: ${formatPath(path)}: items ${params.j} and ${params.i} are the same; list each one once.`;
    case 'anyOf': {
      const why = schemaAtPointer(schema, e.schemaPath.replace(/\/anyOf$/, ''))?.description;
      if (why && !/quantity/i.test(why)) return `${whereSet(sources, path)}: ${formatPath(path)}: expected ${lowerFirst(why.replace(/\.$/, ''))}, got ${given(value)}.`;
    }
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected a Kubernetes quantity such as 100m, 64Mi or 1, got ${given(value)}.`;
    case 'maxProperties': {
      const count = value && typeof value === 'object' ? Object.keys(value).length : 0;
      // A small map (e.g. "exactly one of ...") lists its keys; a huge one gives the count only.
      if (node?.description && count <= 20) {
        return `${whereSet(sources, path)}: ${formatPath(path)}: expected ${lowerFirst(node.description.replace(/\.$/, ''))}, got ${given(value)} with ${count} key(s): ${Object.keys(value as object).join(', ')}.`;
      }
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected at most ${params.limit} keys, got ${count || given(value)}.`;
    }
    case 'propertyNames':
      return `${whereSet(sources, path)}: ${formatPath(path)}: the key ${JSON.stringify(String(params.propertyName)).slice(0, 80)} is not allowed here (letters, digits, '_' and '-', starting with a letter or '_').`;
    case 'maxItems':
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected at most ${params.limit} items, got ${Array.isArray(value) ? value.length : given(value)}.`;
    default:
      return `${whereSet(sources, path)}: ${formatPath(path)}: ${e.message ?? 'is not valid'}.`;
  }
}

/** The description of a failing `not` sub-schema, when it has one. */
function notDescription(e: ErrorObject, schema: SchemaNode): string | undefined {
  const parts = e.schemaPath.replace(/^#\//, '').split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  let cur: unknown = schema;
  for (const p of parts) cur = (cur as Record<string, unknown> | undefined)?.[p];
  return (cur as SchemaNode | undefined)?.description;
}

function lowerFirst(s: string): string {
  return /^[A-Z]([a-z]| [a-z])/.test(s) ? s[0].toLowerCase() + s.slice(1) : s;
}
