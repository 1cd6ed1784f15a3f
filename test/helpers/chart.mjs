// Test helper for the chart: builds a chart directory the way `creg-chart
// build` does, runs the real helm binaries on it, and validates what they
// render.
//
// Until the build pipeline exists (src/build -> dist/build/pipeline.js),
// buildChart below is a local stand-in with the same signature. Switching is
// one change: replace the `buildChart` export with
//   export { buildChart } from '../../dist/build/pipeline.js';
// and delete localBuildChart.
import { spawnSync } from 'node:child_process';
import {
  cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { parse as parseYaml, parseAllDocuments, stringify as stringifyYaml } from 'yaml';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as batch from 'kubernetes-models/batch/v1';
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TEMPLATES_DIR = join(ROOT, 'chart-templates');
export const DEFAULTS_FILE = join(ROOT, 'schemas', 'values.defaults.yaml');
export const SCHEMA_FILE = join(ROOT, 'schemas', 'values.schema.json');
export const SIGNER_BUNDLE = join(ROOT, 'dist', 'signer', 'signer.js');

/** The real helm binaries unpacked by scripts/install-helm.mjs. */
export const HELMS = [
  { label: 'helm4', version: '4.1.4', bin: join(ROOT, 'node_modules', '.creg-chart', 'helm4', 'helm') },
  { label: 'helm3', version: '3.17.3', bin: join(ROOT, 'node_modules', '.creg-chart', 'helm3', 'helm') },
];

/** Chart identity used by the stand-in build (the pipeline decides the real one). */
export const CHART = { name: 'creg', version: '0.1.0' };

/** Run `fn` with a fresh temporary directory, removed afterwards. */
export function tempDir(prefix = 'creg-chart-test-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

// ---------------------------------------------------------------- values

function isPlainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Helm-style merge: maps merge, everything else replaces, null deletes. */
export function mergeValues(base, over) {
  const out = { ...base };
  for (const [k, v] of Object.entries(over ?? {})) {
    if (v === null) delete out[k];
    else if (isPlainObject(v) && isPlainObject(out[k])) out[k] = mergeValues(out[k], v);
    else out[k] = v;
  }
  return out;
}

/** Minimal `--set a.b=c` (value parsed as a YAML scalar, like Helm's typed --set). */
export function parseSet(expr) {
  const eq = expr.indexOf('=');
  if (eq < 1) throw new Error(`bad --set ${expr}`);
  const path = expr.slice(0, eq).split('.');
  const raw = expr.slice(eq + 1);
  let value = raw === '' ? '' : parseYaml(raw);
  if (value !== null && typeof value === 'object') value = raw;
  const out = {};
  let cur = out;
  path.forEach((p, i) => {
    if (i === path.length - 1) cur[p] = value;
    else cur = cur[p] = {};
  });
  return out;
}

// ---------------------------------------------------------------- build

function walk(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Handlebars set up as docs/architecture.md "Build-time rendering" says. */
function makeHandlebars() {
  const hb = Handlebars.create();
  hb.registerHelper('raw', (options) => options.fn());
  return hb;
}

/**
 * Stand-in for dist/build/pipeline.js buildChart: same signature and result.
 * @param {{valuesFiles?: string[], set?: string[], outputDir: string, log?: (m: string) => void}} opts
 * @returns {Promise<{chartDir: string, tgzPath: string, values: object}>}
 */
async function localBuildChart({ valuesFiles = [], set = [], outputDir, log = () => {} }) {
  const defaultsText = readFileSync(DEFAULTS_FILE, 'utf8');
  let values = parseYaml(defaultsText);
  for (const f of valuesFiles) values = mergeValues(values, parseYaml(readFileSync(f, 'utf8')) ?? {});
  for (const s of set) values = mergeValues(values, parseSet(s));

  const chartDir = join(outputDir, CHART.name);
  rmSync(chartDir, { recursive: true, force: true });
  mkdirSync(chartDir, { recursive: true });
  const hb = makeHandlebars();
  const context = {
    chart: { ...CHART, appVersion: values.registry.image.tag },
    values,
    registryImage: `${values.registry.image.repository}:${values.registry.image.tag}`,
  };
  for (const src of walk(TEMPLATES_DIR)) {
    const rel = relative(TEMPLATES_DIR, src);
    if (rel.endsWith('.hbs')) {
      const dest = join(chartDir, rel.slice(0, -'.hbs'.length));
      mkdirSync(dirname(dest), { recursive: true });
      const tpl = hb.compile(readFileSync(src, 'utf8'), { noEscape: true, strict: true });
      writeFileSync(dest, tpl(context));
    } else {
      const dest = join(chartDir, rel);
      mkdirSync(dirname(dest), { recursive: true });
      cpSync(src, dest); // byte for byte
    }
  }
  // No overrides: keep the defaults file as is (comments included).
  writeFileSync(
    join(chartDir, 'values.yaml'),
    valuesFiles.length || set.length ? stringifyYaml(values) : defaultsText,
  );
  cpSync(SCHEMA_FILE, join(chartDir, 'values.schema.json'));
  mkdirSync(join(chartDir, 'files'), { recursive: true });
  if (existsSync(SIGNER_BUNDLE)) {
    cpSync(SIGNER_BUNDLE, join(chartDir, 'files', 'signer.js'));
  } else {
    // PLACEHOLDER: dist/signer/signer.js is not built yet (npm run compile).
    // Enough for rendering tests; a real install needs the real bundle.
    writeFileSync(
      join(chartDir, 'files', 'signer.js'),
      "'use strict';\n// placeholder signer bundle (tests only)\nconsole.error('placeholder signer');\nprocess.exit(1);\n",
    );
    log('files/signer.js: dist/signer/signer.js missing, wrote a placeholder');
  }
  const pkg = runHelm(HELMS[0].bin, ['package', chartDir, '--destination', outputDir]);
  if (pkg.status !== 0) throw new Error(`helm package failed: ${pkg.stderr}`);
  const tgzPath = join(outputDir, `${CHART.name}-${CHART.version}.tgz`);
  return { chartDir, tgzPath, values };
}

export const buildChart = localBuildChart;

// ---------------------------------------------------------------- helm

/** Run helm; never throws on a non-zero exit. */
export function runHelm(bin, args, opts = {}) {
  const r = spawnSync(bin, args, {
    encoding: 'utf8',
    env: {
      ...process.env,
      // Keep helm away from the user's config, caches and any cluster.
      HELM_CACHE_HOME: join(tmpdir(), 'creg-chart-helm-cache'),
      HELM_CONFIG_HOME: join(tmpdir(), 'creg-chart-helm-config'),
      HELM_DATA_HOME: join(tmpdir(), 'creg-chart-helm-data'),
      KUBECONFIG: '/dev/null',
    },
    maxBuffer: 64 * 1024 * 1024,
    ...opts,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `helm template` -> parsed objects (throws with helm's stderr on failure). */
export function helmTemplate(bin, chart, args = [], release = 'eyoh', namespace = 'registry') {
  const r = runHelm(bin, ['template', release, chart, '--namespace', namespace, ...args]);
  if (r.status !== 0) throw new Error(`helm template failed (${r.status}): ${r.stderr}`);
  return parseManifests(r.stdout);
}

export function parseManifests(text) {
  const objects = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) throw new Error(`YAML error: ${doc.errors[0].message}`);
    const obj = doc.toJS();
    if (obj != null) objects.push(obj);
  }
  return objects;
}

const MODELS = {
  'v1/ReplicationController': core.ReplicationController,
  'v1/Service': core.Service,
  'v1/Secret': core.Secret,
  'v1/ConfigMap': core.ConfigMap,
  'v1/ServiceAccount': core.ServiceAccount,
  'apps/v1/DaemonSet': apps.DaemonSet,
  'apps/v1/Deployment': apps.Deployment,
  'batch/v1/Job': batch.Job,
  'rbac.authorization.k8s.io/v1/Role': rbac.Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': rbac.RoleBinding,
};

/** Validate one object against the Kubernetes OpenAPI schema (throws). */
export function validateObject(obj) {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!Model) throw new Error(`no model for ${obj.apiVersion} ${obj.kind}`);
  new Model(obj).validate();
}

/** The one object of `kind` (named `name` if given); throws when not exactly one. */
export function find(objects, kind, name) {
  const hits = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
  if (hits.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${hits.length}`);
  return hits[0];
}

/** The mount script and its environment, from a rendered mount DaemonSet. */
export function mountScriptOf(objects) {
  const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name.endsWith('-nas-mount'));
  if (!ds) throw new Error('no *-nas-mount DaemonSet');
  const c = ds.spec.template.spec.containers.find((x) => x.name === 'nas-mount');
  if (c.command.join(' ') !== 'sh -c') throw new Error('mount container does not run sh -c');
  const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
  return { script: c.args[0], argv0: c.args[1], env };
}

/** The nas-guard script from a rendered registry pod template. */
export function nasGuardOf(podSpec) {
  const c = podSpec.initContainers.find((x) => x.name === 'nas-guard');
  return { script: c.args[0], argv0: c.args[1], env: Object.fromEntries(c.env.map((e) => [e.name, e.value])) };
}

/** The node trust script, its argv0, env and the DaemonSet, from rendered manifests. */
export function trustScriptOf(objects) {
  const ds = objects.find((o) => o.kind === 'DaemonSet' && o.metadata.name.endsWith('-node-trust'));
  if (!ds) throw new Error('no *-node-trust DaemonSet');
  const c = ds.spec.template.spec.containers.find((x) => x.name === 'node-trust');
  if (c.command.join(' ') !== 'sh -c') throw new Error('node-trust container does not run sh -c');
  const env = Object.fromEntries(c.env.map((e) => [e.name, e.value]));
  return { script: c.args[0], argv0: c.args[1], env, daemonSet: ds };
}
