// Test helper for the chart: builds the chart with the real build pipeline,
// runs the real helm binaries on it, and validates what they render.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as batch from 'kubernetes-models/batch/v1';
import * as rbac from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';

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

/** Run `fn` with a fresh temporary directory, removed afterwards. */
export function tempDir(prefix = 'creg-chart-test-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

// ---------------------------------------------------------------- build

/**
 * The real build pipeline (what `creg-chart build` runs): validate, render,
 * `helm lint --strict`, `helm package`.
 * @type {(opts: {valuesFiles?: string[], set?: string[], setString?: string[], outputDir: string, helm?: object, log?: (m: string) => void}) => Promise<{chartDir: string, tgzPath: string, values: object, helmVersion: string}>}
 */
export { buildChart } from '../../dist/build/pipeline.js';

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
  'v1/Pod': core.Pod,
  'v1/ReplicationController': core.ReplicationController,
  'v1/Service': core.Service,
  'v1/Secret': core.Secret,
  'v1/ConfigMap': core.ConfigMap,
  'v1/ServiceAccount': core.ServiceAccount,
  'v1/PersistentVolumeClaim': core.PersistentVolumeClaim,
  'batch/v1/CronJob': batch.CronJob,
  'policy/v1/PodDisruptionBudget': policy.PodDisruptionBudget,
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
