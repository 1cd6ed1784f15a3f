import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  require_dist
} from "./cli-chunk-chunk-BWD4I552.js";
import {
  UserError,
  ValidationError
} from "./cli-chunk-chunk-YWSDDZHY.js";
import {
  defaultsPath,
  precompiledDefaultsPath,
  precompiledValidatorPath,
  schemaPath
} from "./cli-chunk-chunk-A6GFL4ZW.js";
import {
  __toESM
} from "./cli-chunk-chunk-POY4YJ6C.js";

// src/values/defaults.ts
import { createHash } from "node:crypto";
import { readFileSync as readFileSync2 } from "node:fs";

// src/values/sources.ts
var import_yaml = __toESM(require_dist(), 1);
import { readFileSync } from "node:fs";
function isPlainObject(v) {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
var HELM_YAML_OPTIONS = {
  version: "1.1",
  customTags: (tags) => [
    ...tags.filter((t) => !(typeof t === "object" && (t.format === "TIME" || t.tag === "tag:yaml.org,2002:timestamp"))),
    {
      identify: (v) => typeof v === "number",
      default: true,
      tag: "tag:yaml.org,2002:int",
      format: "OCT",
      test: /^[-+]?0o[0-7_]+$/,
      resolve: (str) => (str.startsWith("-") ? -1 : 1) * parseInt(str.replace(/^[-+]?0o/, "").replace(/_/g, ""), 8)
    }
  ]
};
function loadValuesFile(path, label = path) {
  let text;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = err.code;
    const why = code === "ENOENT" ? "the file does not exist" : code === "EISDIR" ? "it is a directory" : err.message;
    throw new UserError(`${label}: cannot read the values file: ${why}. Check the path given to -f/--values.`);
  }
  if (text.trim() === "" || /^(\s*#.*\n?)*\s*$/.test(text)) {
    throw new UserError(`${label}: the values file is empty. Put at least one key in it (run \`creg-chart init\` for a commented starter file) or leave out this -f.`);
  }
  const lineCounter = new import_yaml.LineCounter();
  const doc = (0, import_yaml.parseDocument)(text, { ...HELM_YAML_OPTIONS, lineCounter, uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    const where = pos ? `:${pos.line}:${pos.col}` : "";
    const what = e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "");
    throw new UserError(`${label}${where}: not valid YAML: ${what}. Fix the syntax there (indentation uses spaces; quote strings that hold ':' or '#').`);
  }
  const values = doc.toJS({ maxAliasCount: 100 });
  if (values === null || values === void 0) {
    throw new UserError(`${label}: the values file holds no values. Put at least one key in it or leave out this -f.`);
  }
  if (!isPlainObject(values)) {
    const given2 = Array.isArray(values) ? "a list" : `the ${typeof values} ${JSON.stringify(values)}`;
    throw new UserError(`${label}: expected a map of keys at the top level (like \`nas:\` and \`registry:\`), but the file holds ${given2}.`);
  }
  if (!(0, import_yaml.isMap)(doc.contents)) throw new UserError(`${label}: expected a map of keys at the top level.`);
  const proto = findKey(doc.contents, "__proto__");
  if (proto) {
    const line = proto.range ? `:${lineCounter.linePos(proto.range[0]).line}` : "";
    throw new UserError(`${label}${line}: "__proto__" is not a values key (no key of this chart has that name); remove it.`);
  }
  return {
    label,
    values,
    lineOf(path2) {
      const node = doc.getIn(path2, true);
      if ((0, import_yaml.isNode)(node) && node.range) return lineCounter.linePos(node.range[0]).line;
      return void 0;
    }
  };
}
function findKey(node, name) {
  if ((0, import_yaml.isMap)(node) || (0, import_yaml.isSeq)(node)) {
    for (const item of node.items) {
      if ((0, import_yaml.isPair)(item)) {
        const key = item.key;
        if ((0, import_yaml.isScalar)(key) && key.value === name) return key;
        const found = findKey(item.value, name);
        if (found) return found;
      } else {
        const found = findKey(item, name);
        if (found) return found;
      }
    }
  }
  return void 0;
}
function hasPath(values, path) {
  let cur = values;
  for (const key of path) {
    if (Array.isArray(cur) && typeof key === "number") {
      if (key >= cur.length) return false;
      cur = cur[key];
    } else if (isPlainObject(cur) && typeof key === "string") {
      if (!Object.prototype.hasOwnProperty.call(cur, key)) return false;
      cur = cur[key];
    } else {
      return false;
    }
  }
  return true;
}
function whereSet(sources, path) {
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
  return sources[sources.length - 1]?.label ?? "values";
}

// src/values/defaults.ts
var LABEL = "built-in defaults";
var memo;
function builtInDefaults() {
  if (memo) return memo;
  let values;
  try {
    const text = readFileSync2(defaultsPath);
    const pre = JSON.parse(readFileSync2(precompiledDefaultsPath, "utf8"));
    if (pre.sha256 === createHash("sha256").update(text).digest("hex")) values = pre.values;
  } catch {
    values = void 0;
  }
  if (!values) return memo = loadValuesFile(defaultsPath, LABEL);
  let parsed;
  memo = { label: LABEL, values, lineOf: (path) => (parsed ??= loadValuesFile(defaultsPath, LABEL)).lineOf?.(path) };
  return memo;
}

// src/values/merge.ts
function mergeValues(sources) {
  const [chart, ...user] = sources;
  let userValues = {};
  for (const source of user) {
    if (source.assignments) {
      for (const { path, value } of source.assignments) setPathInPlace(userValues, path, structuredClone(value), source.label);
    } else {
      userValues = mergeUserLayer(userValues, source.values);
    }
  }
  return coalesce(userValues, chart?.values ?? {});
}
function mergeUserLayer(base, override) {
  const out = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (isPlainObject(value) && isPlainObject(out[key])) {
      out[key] = mergeUserLayer(out[key], value);
    } else {
      out[key] = structuredClone(value);
    }
  }
  return out;
}
function coalesce(user, defaults) {
  const out = { ...user };
  for (const [key, def] of Object.entries(defaults)) {
    if (!Object.prototype.hasOwnProperty.call(out, key)) {
      out[key] = structuredClone(def);
    } else if (out[key] === null) {
      delete out[key];
    } else if (isPlainObject(out[key]) && isPlainObject(def)) {
      out[key] = coalesce(out[key], def);
    }
  }
  return out;
}
function setPathInPlace(root, path, value, label) {
  let cur = root;
  for (let i = 0; i < path.length - 1; i++) {
    const key = path[i];
    const nextIsIndex = typeof path[i + 1] === "number";
    const container = cur;
    if (container[key] === void 0) container[key] = nextIsIndex ? [] : {};
    const next = container[key];
    if (next === null) {
      throw new UserError(`${label}: "${formatKey(path.slice(0, i + 1))}" was set to null by an earlier values file, and Helm cannot set a key inside a null. Remove that null or set the whole ${nextIsIndex ? "list" : "map"} in the file.`, 2);
    }
    if (nextIsIndex ? !Array.isArray(next) : !isPlainObject(next)) {
      throw new UserError(`${label}: "${formatKey(path.slice(0, i + 1))}" is ${Array.isArray(next) ? "a list" : isPlainObject(next) ? "a map" : `the value ${JSON.stringify(next)}`} in the earlier values, not a ${nextIsIndex ? "list" : "map"}; write ${nextIsIndex ? `${formatKey(path.slice(0, i + 1))}[N]=...` : `${formatKey(path.slice(0, i + 1))}.KEY=...`} only where it is one, or set it whole.`, 2);
    }
    cur = next;
  }
  const last = path[path.length - 1];
  if (typeof last === "number") {
    if (!Array.isArray(cur)) throw new UserError(`${label}: "${formatKey(path.slice(0, -1))}" is not a list.`, 2);
    while (cur.length < last) cur.push(null);
  }
  cur[last] = value;
}
function formatKey(path) {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
  return out;
}

// src/values/set.ts
function parseSetArgument(arg, flag = "--set") {
  const label = `${flag} ${arg}`;
  const values = {};
  const assignments = [];
  for (const assignment of splitUnescaped(arg, ",", true)) {
    const eq = indexOfUnescaped(assignment, "=");
    if (eq <= 0) {
      throw new UserError(`${label}: expected key=value (for example \`${flag} registry.port=5000\`), got "${assignment}".`, 2);
    }
    const path = parseKeyPath(assignment.slice(0, eq), label);
    const raw = assignment.slice(eq + 1);
    const value = raw.startsWith("{") && raw.endsWith("}") ? splitUnescaped(raw.slice(1, -1), ",", false).map((v) => typed(unescape(v), flag)) : typed(unescape(raw), flag);
    setPathInPlace(values, path, structuredClone(value), label);
    assignments.push({ path, value });
  }
  return { label, values, assignments };
}
function typed(v, flag) {
  if (flag === "--set-string") return v;
  if (v === "true") return true;
  if (v === "false") return false;
  if (v === "null") return null;
  if (/^-?(0|[1-9][0-9]{0,17})$/.test(v)) return Number(v);
  return v;
}
function parseKeyPath(key, label) {
  const path = [];
  for (const part of splitUnescaped(key, ".", false)) {
    const m = /^((?:[^[\]\\]|\\.)*)((?:\[\d+\])*)$/.exec(part);
    if (!m || m[1] === "" && path.length === 0) {
      throw new UserError(`${label}: "${key}" is not a key path; use dots between keys and [N] for list items (for example nas.mountOptions[0]=hard).`, 2);
    }
    if (m[1] !== "") {
      const name = unescape(m[1]);
      if (name === "__proto__") {
        throw new UserError(`${label}: "__proto__" is not a values key (no key of this chart has that name); remove it from the key path.`, 2);
      }
      path.push(name);
    }
    for (const idx of m[2].matchAll(/\[(\d+)\]/g)) path.push(Number(idx[1]));
  }
  if (path.length === 0) throw new UserError(`${label}: the key is empty.`, 2);
  return path;
}
function indexOfUnescaped(s, ch) {
  for (let i = 0; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === ch) return i;
  }
  return -1;
}
function splitUnescaped(s, sep, respectBraces) {
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") {
      i++;
      continue;
    }
    if (respectBraces && c === "{") depth++;
    if (respectBraces && c === "}") depth = Math.max(0, depth - 1);
    if (c === sep && depth === 0) {
      parts.push(s.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}
function unescape(s) {
  return s.replace(/\\(.)/g, "$1");
}

// src/values/validate.ts
import { createHash as createHash2 } from "node:crypto";
import { existsSync, readFileSync as readFileSync3 } from "node:fs";
import { createRequire } from "node:module";
var requireFromHere = createRequire(import.meta.url);
var compiled;
function valuesSchema() {
  if (!compiled) {
    const text = readFileSync3(schemaPath, "utf8");
    const schema = JSON.parse(text);
    const sha256 = createHash2("sha256").update(text).digest("hex");
    let validate;
    if (existsSync(precompiledValidatorPath)) {
      const generated = requireFromHere(precompiledValidatorPath);
      if (generated.schemaSha256 === sha256) validate = generated.default ?? generated;
    }
    if (!validate) {
      const { Ajv } = requireFromHere("ajv");
      validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
    }
    compiled = { validate, schema };
  }
  return compiled;
}
function validateValues(values, sources) {
  const { validate, schema } = valuesSchema();
  if (validate(values)) return [];
  const errors = (validate.errors ?? []).filter((e) => !isNoise(e, validate.errors ?? []));
  const seen = /* @__PURE__ */ new Set();
  const problems = [];
  for (const e of errors) {
    const path = pointerToPath(e.instancePath);
    const message = describe(e, path, values, schema, sources);
    if (!seen.has(message)) {
      seen.add(message);
      problems.push(message);
    }
  }
  return problems;
}
function isNoise(e, all) {
  if (e.keyword === "anyOf" || e.keyword === "oneOf") return false;
  return all.some((o) => (o.keyword === "anyOf" || o.keyword === "oneOf") && o.instancePath === e.instancePath && e.schemaPath.startsWith(o.schemaPath.replace(/\/(anyOf|oneOf)$/, "")) && e !== o && e.schemaPath.includes("/anyOf/"));
}
function pointerToPath(pointer) {
  if (pointer === "") return [];
  return pointer.slice(1).split("/").map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~")).map((p) => /^\d+$/.test(p) ? Number(p) : p);
}
function formatPath(path) {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? p : `.${p}`;
  return out || "(top level)";
}
function schemaAt(schema, path) {
  let cur = schema;
  for (const p of path) {
    if (!cur) return void 0;
    cur = typeof p === "number" ? cur.items : cur.properties?.[p];
  }
  return cur;
}
function valueAt(values, path) {
  let cur = values;
  for (const p of path) cur = cur?.[p];
  return cur;
}
function given(v) {
  if (v === void 0) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return `a list (${JSON.stringify(v).slice(0, 60)})`;
  if (typeof v === "object") return "a map";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  return `${typeof v === "number" && !Number.isInteger(v) ? "the number" : typeof v === "number" ? "the integer" : `the ${typeof v}`} ${JSON.stringify(v)}`;
}
function closest(word, options) {
  let best;
  let bestScore = Infinity;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestScore) {
      bestScore = d;
      best = o;
    }
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : void 0;
}
function editDistance(a, b) {
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
function describe(e, path, values, schema, sources) {
  const params = e.params;
  const node = schemaAt(schema, path);
  const value = valueAt(values, path);
  switch (e.keyword) {
    case "additionalProperties": {
      const key = String(params.additionalProperty);
      const full = [...path, key];
      const allowed = Object.keys(node?.properties ?? {});
      const guess = closest(key, allowed);
      const hint = guess ? `did you mean "${formatPath([...path, guess])}"?` : `remove it; the keys allowed here are: ${allowed.join(", ")}.`;
      return `${whereSet(sources, full)}: ${formatPath(full)}: unknown key; ${hint}`;
    }
    case "required": {
      const key = String(params.missingProperty);
      return `${whereSet(sources, path)}: ${formatPath([...path, key])}: required but missing (was it removed with null?). Set it${schemaAt(schema, [...path, key])?.description ? `: ${schemaAt(schema, [...path, key]).description}` : "."}`;
    }
    case "type": {
      const want = String(params.type).replace(/,/g, " or ");
      const fix = want === "integer" && typeof value === "string" && /^\d+$/.test(value) ? ` Write it without quotes: ${value}.` : "";
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected ${want === "object" ? "a map" : want === "array" ? "a list" : `a${/^[aeiou]/.test(want) ? "n" : ""} ${want}`}, got ${given(value)}.${fix}`;
    }
    case "minimum":
    case "maximum": {
      const range = node?.minimum !== void 0 && node?.maximum !== void 0 ? `from ${node.minimum} to ${node.maximum}` : `${e.keyword === "minimum" ? ">=" : "<="} ${params.limit}`;
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected a whole number ${range}, got ${given(value)}.`;
    }
    case "enum":
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected one of ${params.allowedValues.map((v) => JSON.stringify(v)).join(", ")}, got ${given(value)}.`;
    case "pattern":
    case "not":
    case "maxLength":
    case "minLength": {
      const what = node?.description ? node.description.replace(/\.$/, "") : `a string matching ${node?.pattern}`;
      const extra = e.keyword === "maxLength" ? ` (at most ${params.limit} characters)` : e.keyword === "not" ? ' without "." or ".." segments' : "";
      const unsafe = typeof value === "string" && /[^A-Za-z0-9._\/:=-]/.test(value) ? " Shell and YAML special characters and spaces are refused because this value reaches a script and a manifest." : "";
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected ${lowerFirst(what)}${extra}, got ${given(value)}.${unsafe}`;
    }
    case "anyOf":
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected a Kubernetes quantity such as 100m, 64Mi or 1, got ${given(value)}.`;
    case "maxItems":
      return `${whereSet(sources, path)}: ${formatPath(path)}: expected at most ${params.limit} items, got ${Array.isArray(value) ? value.length : given(value)}.`;
    default:
      return `${whereSet(sources, path)}: ${formatPath(path)}: ${e.message ?? "is not valid"}.`;
  }
}
function lowerFirst(s) {
  return /^[A-Z][a-z]/.test(s) ? s[0].toLowerCase() + s.slice(1) : s;
}

// src/values/index.ts
function resolveValues(input, loaded) {
  const sources = [input.defaultsFile ? loadValuesFile(input.defaultsFile, input.defaultsLabel ?? input.defaultsFile) : builtInDefaults()];
  const loadProblems = [];
  for (const file of input.valuesFiles ?? []) {
    try {
      sources.push(loaded?.get(file) ?? loadValuesFile(file));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      loadProblems.push(err.message);
    }
  }
  for (const arg of input.set ?? []) sources.push(parseSetArgument(arg, "--set"));
  for (const arg of input.setString ?? []) sources.push(parseSetArgument(arg, "--set-string"));
  if (loadProblems.length > 0) throw new ValidationError(loadProblems, "Cannot read the values:");
  const values = mergeValues(sources);
  const problems = validateValues(values, sources);
  if (problems.length > 0) throw new ValidationError(inLayerOrder(problems, sources));
  return { values, sources };
}
function inLayerOrder(problems, sources) {
  const key = (p) => {
    for (let i = sources.length - 1; i >= 0; i--) {
      const label = sources[i].label;
      if (p.startsWith(`${label}:`)) return [i, Number(/^:(\d+)/.exec(p.slice(label.length))?.[1] ?? 0)];
    }
    return [sources.length, 0];
  };
  return problems.map((p, i) => ({ p, i, k: key(p) })).sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.i - b.i).map((x) => x.p);
}

export {
  HELM_YAML_OPTIONS,
  loadValuesFile,
  mergeValues,
  parseSetArgument,
  valuesSchema,
  validateValues,
  resolveValues
};
