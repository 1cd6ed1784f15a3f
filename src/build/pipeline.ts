import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { UserError } from '../errors.js';
import { findHelm, type Helm } from '../helm/helm.js';
import { chartTemplatesDir, defaultsPath, packageRoot, schemaPath, signerBundlePath } from '../paths.js';
import { renderChartReadme } from '../render/chart-readme.js';
import { chartImages, renderChartTemplates } from '../render/chart-templates.js';
import { resolveValues, type Values, type ValuesInput } from '../values/index.js';
import { HELM_YAML_OPTIONS } from '../values/sources.js';
import { valuesSchema } from '../values/validate.js';

export interface BuildOptions extends ValuesInput {
  /** Where the chart directory and .tgz go (default `out`). */
  outputDir: string;
  chartName?: string;
  chartVersion?: string;
  /** Progress lines; silent when absent. */
  log?: (line: string) => void;
  /**
   * A helm to use instead of finding one (tests pass Helm 3 or 4), or the
   * search already under way (the CLI starts it before loading this module,
   * so `helm version` runs while Node loads the rest).
   */
  helm?: Helm | Promise<Helm>;
}

export interface BuildResult {
  chartDir: string;
  tgzPath: string;
  values: Values;
  helmVersion: string;
}

const CHART_NAME = /^[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?$/;
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * validate -> render chart-templates/ -> helm lint --strict + helm package.
 * Everything is built in a staging folder inside the output folder; the
 * previous chart there is replaced only once the new one has passed lint
 * and been packaged, so a failed build leaves the last good output intact.
 */
export async function buildChart(opts: BuildOptions): Promise<BuildResult> {
  const log = opts.log ?? (() => {});
  const name = opts.chartName ?? 'creg';
  const version = opts.chartVersion ?? packageVersion();
  if (!CHART_NAME.test(name)) {
    throw new UserError(`--chart-name: expected lower-case letters, digits and '-' (at most 42 characters), got "${name}".`, 2);
  }
  if (!SEMVER.test(version)) {
    throw new UserError(`--chart-version: expected a semantic version such as 1.2.3, got "${version}". Helm refuses charts without one.`, 2);
  }
  if (!existsSync(signerBundlePath)) {
    throw new UserError(`the signer bundle ${relative(process.cwd(), signerBundlePath)} is missing: run \`npm run compile\` in ${packageRoot} first.`);
  }

  const layers = ['built-in defaults', ...(opts.valuesFiles ?? []), ...(opts.set ?? []).map((s) => `--set ${s}`), ...(opts.setString ?? []).map((s) => `--set-string ${s}`)];
  log(`Validating values: ${layers.join(', ')}`);
  const helmPromise = opts.helm ? Promise.resolve(opts.helm) : findHelm();
  helmPromise.catch(() => {}); // reported below, after the values, which matter more
  const { values } = resolveValues(opts);
  const helm = await helmPromise;

  const outputDir = resolve(opts.outputDir);
  await mkdir(outputDir, { recursive: true });
  const staging = await mkdtemp(join(outputDir, '.creg-build-'));
  try {
    const stagedChart = join(staging, name);
    const appVersion = String((values.registry as { image: { tag: string } }).image.tag);
    log(`Rendering chart ${name} ${version} (registry ${appVersion}) from ${displayPath(chartTemplatesDir)}`);
    const chart = { name, version, appVersion };
    const signer = { sha256: createHash('sha256').update(await readFile(signerBundlePath)).digest('hex') };
    await renderChartTemplates(chartTemplatesDir, stagedChart, {
      chart, images: chartImages(values), prerelease: version.includes('-'), signer, creg: { version: packageVersion() },
    });
    // The schema validation already read and parsed.
    await writeFile(join(stagedChart, 'README.md'), renderChartReadme({ chart, schema: valuesSchema().schema, values }));
    await writeValuesYaml(join(stagedChart, 'values.yaml'), values, layers, opts);
    await copyFile(schemaPath, join(stagedChart, 'values.schema.json'));
    await mkdir(join(stagedChart, 'files'), { recursive: true });
    await copyFile(signerBundlePath, join(stagedChart, 'files', 'signer.js'));

    // Lint and package read the same finished folder, so they run side by side.
    log(`Linting and packaging with helm ${helm.version} (${helm.bin})`);
    const pkgDir = join(staging, 'package');
    const [lint, pkg] = await Promise.all([
      helm.run(['lint', '--strict', stagedChart]),
      helm.run(['package', stagedChart, '--destination', pkgDir]),
    ]);
    if (lint.code !== 0) {
      const detail = (lint.stdout + lint.stderr).split('\n').filter((l) => /\[(ERROR|WARNING)\]|Error:/.test(l)).join('\n') || lint.stdout + lint.stderr;
      throw new UserError(`helm lint --strict failed; nothing was written to ${opts.outputDir}:\n${detail.trim()}`);
    }
    if (pkg.code !== 0) {
      throw new UserError(`helm package failed; nothing was written to ${opts.outputDir}:\n${(pkg.stderr || pkg.stdout).trim()}`);
    }
    const tgzName = `${name}-${version}.tgz`;
    const tgzPath = join(outputDir, tgzName);
    const chartDir = join(outputDir, name);
    await rename(join(pkgDir, tgzName), tgzPath);
    if (existsSync(chartDir)) await rename(chartDir, join(staging, 'previous'));
    await rename(stagedChart, chartDir);
    log(`Chart folder: ${displayPath(chartDir)}`);
    log(`Packaged chart: ${displayPath(tgzPath)}`);
    return { chartDir, tgzPath, values, helmVersion: helm.version };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** A path as the user would type it: relative below the working folder, absolute elsewhere. */
function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') ? path : rel;
}

/**
 * The chart's values.yaml: the commented defaults file as it is when nothing
 * was overridden; otherwise the merged values with a header saying where
 * they came from.
 */
async function writeValuesYaml(path: string, values: Values, layers: string[], opts: ValuesInput): Promise<void> {
  const overridden = (opts.valuesFiles?.length ?? 0) + (opts.set?.length ?? 0) + (opts.setString?.length ?? 0) > 0;
  if (!overridden) {
    await copyFile(defaultsPath, path);
    return;
  }
  const header = [
    '# Default values of this chart, generated by `creg-chart build` from:',
    ...layers.map((l) => `#   ${l.replace(/\n/g, ' ')}`),
    '# Every key is described in values.schema.json and README.md.',
    '',
  ].join('\n');
  // Written for Helm's YAML 1.1 reader: strings such as "yes", "on" or "0123" are quoted.
  await writeFile(path, header + stringify(values, { ...HELM_YAML_OPTIONS, lineWidth: 0 }));
}
