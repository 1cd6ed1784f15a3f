import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { findHelm, type Helm } from '../helm/helm.js';
import { resolveValues, type ValuesInput } from '../values/index.js';
import { buildChart } from './pipeline.js';

export interface TemplateOptions extends ValuesInput {
  /** A cluster override file, applied after `valuesFiles`. */
  cluster?: string;
  /** A built chart (.tgz or folder); when absent, one is built from the built-in defaults into a temporary folder. */
  chart?: string;
  releaseName: string;
  namespace: string;
  /** Passed to `helm template --output-dir` (one file per template) instead of printing. */
  outputDir?: string;
  log?: (line: string) => void;
  helm?: Helm;
}

const RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The manifests one cluster would get from `helm install`: our own checks
 * first (every bad field, with file and line), then the real `helm template`
 * of the built chart with the same -f files, cluster file and --set flags.
 * Never writes into out/: a chart it has to build goes to a temporary folder.
 */
export async function templateCluster(opts: TemplateOptions): Promise<string> {
  const log = opts.log ?? (() => {});
  if (!RELEASE_NAME.test(opts.releaseName) || opts.releaseName.length > 53) {
    throw new UserError(`--release-name: expected lower-case letters, digits and '-' (at most 53 characters, as Helm requires), got "${opts.releaseName}".`, 2);
  }
  if (!RELEASE_NAME.test(opts.namespace) || opts.namespace.length > 63) {
    throw new UserError(`--namespace: expected a Kubernetes namespace name (lower-case letters, digits and '-', at most 63 characters), got "${opts.namespace}".`, 2);
  }
  if (opts.chart && !existsSync(opts.chart)) {
    throw new UserError(`--chart ${opts.chart}: no such file or folder. Give a chart built by \`creg-chart build\` (e.g. out/creg-0.1.0.tgz), or leave out --chart to build one from the built-in defaults.`, 2);
  }
  const valuesFiles = [...(opts.valuesFiles ?? []), ...(opts.cluster ? [opts.cluster] : [])];
  const helm = opts.helm ?? (await findHelm());
  const work = await mkdtemp(join(tmpdir(), 'creg-template-'));
  try {
    let chart: string;
    let defaultsFile: string | undefined;
    if (opts.chart) {
      chart = resolve(opts.chart);
      // The chart's own values.yaml is what helm merges over: validate against it.
      const shown = await helm.run(['show', 'values', chart]);
      if (shown.code !== 0) throw new UserError(`--chart ${opts.chart}: helm cannot read it as a chart: ${(shown.stderr || shown.stdout).trim()}`, 2);
      defaultsFile = join(work, 'chart-values.yaml');
      await writeFile(defaultsFile, shown.stdout.trim() === '' ? '{}\n' : shown.stdout);
    }
    resolveValues({ ...opts, valuesFiles, defaultsFile, defaultsLabel: opts.chart ? `${opts.chart} values.yaml` : undefined });
    if (!opts.chart) {
      log('No --chart given: building the chart from the built-in defaults into a temporary folder');
      const built = await buildChart({ outputDir: join(work, 'build'), helm, log: (l) => log(`  ${l}`) });
      chart = built.tgzPath;
    }
    const args = ['template', opts.releaseName, chart!, '--namespace', opts.namespace];
    for (const f of valuesFiles) args.push('--values', resolve(f));
    for (const s of opts.set ?? []) args.push('--set', s);
    for (const s of opts.setString ?? []) args.push('--set-string', s);
    if (opts.outputDir) args.push('--output-dir', resolve(opts.outputDir));
    log(`helm template ${opts.releaseName} ${opts.chart ?? '<built chart>'} --namespace ${opts.namespace}${valuesFiles.map((f) => ` -f ${f}`).join('')} (helm ${helm.version})`);
    const r = await helm.run(args);
    if (r.code !== 0) {
      throw new UserError(`helm template failed:\n${(r.stderr || r.stdout).trim()}`);
    }
    return r.stdout;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
