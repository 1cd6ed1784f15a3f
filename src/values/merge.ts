import { isPlainObject, type Values, type ValuesSource } from './sources.js';

/**
 * Merges layers the way Helm coalesces values: maps merge key by key, every
 * other value (lists included) is replaced, and `null` removes a key.
 */
export function mergeValues(sources: ValuesSource[]): Values {
  let merged: Values = {};
  for (const source of sources) merged = mergeInto(merged, source.values);
  return merged;
}

function mergeInto(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) {
      delete out[key];
    } else if (isPlainObject(value) && isPlainObject(out[key])) {
      out[key] = mergeInto(out[key] as Values, value);
    } else {
      out[key] = structuredClone(value);
    }
  }
  return out;
}
