import { UserError } from '../errors.js';
import { isPlainObject, type ValuePath, type Values, type ValuesSource } from './sources.js';

/**
 * Merges layers exactly the way Helm builds `.Values` (checked against Helm
 * 3.17 and 4.1 by test/merge-helm.test.mjs). `sources[0]` is the chart's
 * defaults (its values.yaml); the others are the user's layers in order.
 *
 * 1. The user's `-f` files merge into one map: maps merge key by key, every
 *    other value (lists included) replaces, and `null` is kept as a value.
 * 2. Each `--set` assignment is written into that same map in place (so
 *    `--set list[1]=x` changes item 1 of a list a file gave, like Helm).
 * 3. The result is coalesced with the defaults: a user `null` deletes the
 *    default key; a `null` for a key the defaults lack stays `null`.
 *
 * Doing the null deletion last matters: `-f a.yaml` (`nas: null`) then
 * `-f b.yaml` (`nas: {server: x}`) gives the default nas map plus server x,
 * not a nas map holding only server.
 */
export function mergeValues(sources: ValuesSource[]): Values {
  return merge(sources, structuredClone);
}

/**
 * mergeValues for a result that is only read (validated) and then dropped,
 * as for each file of a fleet: the values a layer gives are shared with the
 * result instead of copied (copying the defaults into every cluster's values
 * was a fifth of `validate --cluster-dir`). The maps on the way are still new,
 * so no layer changes; the result must never be changed in place. `--set`
 * layers write into the merged maps, so with them this is mergeValues.
 */
export function mergeValuesToRead(sources: ValuesSource[]): Values {
  if (sources.some((s) => s.assignments)) return mergeValues(sources);
  return merge(sources, (v) => v);
}

type Copy = <T>(value: T) => T;

function merge(sources: ValuesSource[], copy: Copy): Values {
  const [chart, ...user] = sources;
  let userValues: Values = {};
  for (const source of user) {
    if (source.assignments) {
      for (const { path, value } of source.assignments) setPathInPlace(userValues, path, copy(value), source.label);
    } else {
      userValues = mergeUserLayer(userValues, source.values, copy);
    }
  }
  return coalesce(userValues, chart?.values ?? {}, copy);
}

function mergeUserLayer(base: Values, override: Values, copy: Copy): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (isPlainObject(value) && isPlainObject(out[key])) {
      out[key] = mergeUserLayer(out[key] as Values, value, copy);
    } else {
      out[key] = copy(value);
    }
  }
  return out;
}

function coalesce(user: Values, defaults: Values, copy: Copy): Values {
  const out: Values = { ...user };
  for (const [key, def] of Object.entries(defaults)) {
    if (!Object.prototype.hasOwnProperty.call(out, key)) {
      out[key] = copy(def);
    } else if (out[key] === null) {
      delete out[key];
    } else if (isPlainObject(out[key]) && isPlainObject(def)) {
      out[key] = coalesce(out[key] as Values, def, copy);
    }
  }
  return out;
}

/**
 * Writes one `--set` assignment into `root`, creating maps and lists on the
 * way and reusing the ones already there (Helm's strvals.ParseInto).
 */
export function setPathInPlace(root: Values, path: ValuePath, value: unknown, label: string): void {
  let cur: unknown = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i];
    const nextIsIndex = typeof path[i + 1] === 'number';
    const container = cur as Record<string | number, unknown>;
    if (container[key] === undefined) container[key] = nextIsIndex ? [] : {};
    const next = container[key];
    if (next === null) {
      // Helm itself fails here ("interface conversion: interface {} is nil").
      throw new UserError(`${label}: "${formatKey(path.slice(0, i + 1))}" was set to null by an earlier values file, and Helm cannot set a key inside a null. Remove that null or set the whole ${nextIsIndex ? 'list' : 'map'} in the file.`, 2);
    }
    if (nextIsIndex ? !Array.isArray(next) : !isPlainObject(next)) {
      throw new UserError(`${label}: "${formatKey(path.slice(0, i + 1))}" is ${Array.isArray(next) ? 'a list' : isPlainObject(next) ? 'a map' : `the value ${JSON.stringify(next)}`} in the earlier values, not a ${nextIsIndex ? 'list' : 'map'}; write ${nextIsIndex ? `${formatKey(path.slice(0, i + 1))}[N]=...` : `${formatKey(path.slice(0, i + 1))}.KEY=...`} only where it is one, or set it whole.`, 2);
    }
    cur = next;
  }
  const last = path[path.length - 1];
  if (typeof last === 'number') {
    if (!Array.isArray(cur)) throw new UserError(`${label}: "${formatKey(path.slice(0, -1))}" is not a list.`, 2);
    while (cur.length < last) cur.push(null);
  }
  (cur as Record<string | number, unknown>)[last] = value;
}

function formatKey(path: ValuePath): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}
