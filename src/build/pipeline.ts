import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { findHelm, type Helm, type HelmResult } from '../helm/helm.js';
import { chartTemplatesDir, defaultsPath, packageRoot, schemaPath, signerBundlePath } from '../paths.js';
import { chartImages, stageChartTemplates } from '../render/chart-templates.js';
import { validateMerged, mergeValuesInput, type Values, type ValuesInput } from '../values/index.js';
import { commentText, helmValuesYaml, isYamlSafeText } from '../values/emit.js';
import { VALUES_READBACK_CHECK, checkHelmValues, helmValuesOf } from './values-check.js';
import { valuesSchema } from '../values/validate.js';

/**
 * A check that rides on the build's `helm lint --strict` (no helm process of
 * its own): a template written into the staged chart for lint only, never
 * packaged nor left in the output folder. A check fails by making lint fail
 * (in lint mode Helm logs `fail` as INFO and goes on; an `include` of a
 * template that does not exist is an error in Helm 3 and 4).
 */
export interface LintCheck {
  /** Path inside the chart, `/`-separated, e.g. `templates/creg-values-check.yaml`. */
  file: string;
  /** The template text, from the values that were validated. */
  content(values: Values): string;
  /** When lint failed: a full sentence if this check is what failed, else undefined. */
  explain(lintOutput: string): string | undefined;
}

/** The checks every build runs during lint (BuildOptions.lintChecks replaces them). */
export const DEFAULT_LINT_CHECKS: readonly LintCheck[] = [];

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
  /** Lint-time checks (default DEFAULT_LINT_CHECKS). */
  lintChecks?: readonly LintCheck[];
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
 * stage chart-templates/ and merge the values -> helm lint --strict, and
 * meanwhile the schema check (a refusal stops helm and is the error), the
 * chart README and the .tgz (src/build/package.ts writes what `helm package`
 * writes; charts it does not model go to `helm package` after lint).
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

  trace('build started');
  const layers = ['built-in defaults', ...(opts.valuesFiles ?? []), ...(opts.set ?? []).map((s) => `--set ${s}`), ...(opts.setString ?? []).map((s) => `--set-string ${s}`)];
  log(`Validating values: ${layers.map(commentText).join(', ')}`); // escapes: no terminal control sequences from --set text
  const helmPromise = opts.helm ? Promise.resolve(opts.helm) : findHelm();
  helmPromise.catch(() => {}); // reported below, after the values, which matter more

  const outputDir = resolve(opts.outputDir);
  const outputDirExisted = existsSync(outputDir);
  mkdirSync(outputDir, { recursive: true });
  const staging = mkdtempSync(join(outputDir, '.creg-build-'));
  const stagedChart = join(staging, name);
  const stopHelm = new AbortController();
  let linting: Promise<HelmResult> | undefined;
  let copying: Promise<void> | undefined;
  let built = false;
  try {
    // The files that do not depend on the values start copying now, on the
    // thread pool, while this thread reads the values.
    const staged = stageChartTemplates(chartTemplatesDir, stagedChart, new Map([['values.schema.json', schemaPath], ['files/signer.js', signerBundlePath]]));
    copying = staged.copied;
    trace('static files copying');
    // Merged now, validated while helm lints (below): the schema check is off
    // the path to helm's start. Nothing written before it passes is kept, and
    // a problem it finds is reported in place of any later failure.
    const merged = mergeValuesInput(opts);
    const { values } = merged;
    let helm: Helm;
    try {
      helm = await helmPromise;
    } catch (err) {
      validateMerged(merged);
      throw err;
    }
    trace('values merged');
    const appVersion = String((values.registry as { image?: { tag?: unknown } } | undefined)?.image?.tag);
    const chart = { name, version, appVersion };
    // The read-back of the values always rides along (src/build/values-check.ts).
    const checks = [VALUES_READBACK_CHECK, ...(opts.lintChecks ?? DEFAULT_LINT_CHECKS)];
    try {
      // files/signer.js's sha256 goes into Chart.yaml (creg-chart/signer-sha256): recomputable from the source.
      const signer = { sha256: createHash('sha256').update(readFileSync(signerBundlePath)).digest('hex') };
      staged.render({ chart, images: chartImages(values), prerelease: version.includes('-'), signer, creg: { version: packageVersion() } });
      writeValuesYaml(join(stagedChart, 'values.yaml'), values, layers, opts);
      for (const check of checks) {
        mkdirSync(dirname(join(stagedChart, check.file)), { recursive: true });
        writeFileSync(join(stagedChart, check.file), check.content(values));
      }
      await staged.copied;
    } catch (err) {
      validateMerged(merged); // a value the schema refuses can break rendering: name the value
      throw err;
    }
    trace('chart staged');
    linting = helm.run(['lint', '--strict', stagedChart], { signal: stopHelm.signal });
    linting.catch(() => {}); // awaited below
    trace('helm lint started');
    validateMerged(merged);
    trace('values validated');
    log(`Rendering chart ${name} ${version} (registry ${appVersion}) from ${displayPath(chartTemplatesDir)}`);
    log(`Linting with helm ${helm.version} (${helm.bin}) and packaging; checking that Helm reads the validated values`);
    // While helm lints: the README (from the schema validation already parsed)
    // and the archive, with modules loaded only now. Lint reads neither.
    const [{ renderChartReadme }, { packChart }] = await Promise.all([import('../render/chart-readme.js'), import('./package.js')]);
    const readme = Buffer.from(renderChartReadme({ chart, schema: valuesSchema().schema, values }));
    const packing = packChart({ chartDir: stagedChart, chartName: name, exclude: new Set(checks.map((c) => c.file)), contents: new Map([['README.md', readme]]) });
    packing.catch(() => {}); // awaited below
    trace('readme rendered, packing');
    const lint = await linting;
    trace('helm lint done');
    for (const check of checks) rmSync(join(stagedChart, check.file), { force: true });
    if (lint.code !== 0) {
      const output = lint.stdout + lint.stderr;
      const reason = checks.map((c) => c.explain(output)).find((r) => r !== undefined);
      if (reason) throw new UserError(`${reason} Nothing was written to ${opts.outputDir}.`);
      const detail = output.split('\n').filter((l) => /\[(ERROR|WARNING)\]|Error:/.test(l)).join('\n') || output;
      throw new UserError(`helm lint --strict failed; nothing was written to ${opts.outputDir}:\n${detail.trim()}`);
    }
    // Helm's .Values, logged by the read-back template during that lint: refuse to package if they differ.
    checkHelmValues(values, await helmValuesOf(helm, join(staging, 'values-check'), join(stagedChart, 'values.yaml'), lint.stdout + lint.stderr), helm.version, opts.outputDir);
    writeFileSync(join(stagedChart, 'README.md'), readme);
    const packed = await packing;
    const tgzName = `${name}-${version}.tgz`;
    const tgzPath = join(outputDir, tgzName);
    const chartDir = join(outputDir, name);
    if ('tgz' in packed) {
      writeFileSync(join(staging, tgzName), packed.tgz);
      renameSync(join(staging, tgzName), tgzPath);
    } else {
      log(`Packaging with helm package: ${packed.refused}`);
      const pkgDir = join(staging, 'package');
      const pkg = await helm.run(['package', stagedChart, '--destination', pkgDir]);
      if (pkg.code !== 0) {
        throw new UserError(`helm package failed; nothing was written to ${opts.outputDir}:\n${(pkg.stderr || pkg.stdout).trim()}`);
      }
      renameSync(join(pkgDir, tgzName), tgzPath);
    }
    if (existsSync(chartDir)) renameSync(chartDir, join(staging, 'previous'));
    trace('packed');
    renameSync(stagedChart, chartDir);
    log(`Chart folder: ${displayPath(chartDir)}`);
    log(`Packaged chart: ${displayPath(tgzPath)}`);
    built = true;
    return { chartDir, tgzPath, values, helmVersion: helm.version };
  } finally {
    if (linting) {
      stopHelm.abort(); // a no-op once helm has exited; otherwise the build failed before lint ended
      await linting.catch(() => {});
    }
    await copying?.catch(() => {}); // a copy still under way would write into the folder being removed
    await rm(staging, { recursive: true, force: true }); // the thread pool unlinks in parallel
    // A failed build into a folder it made leaves no empty folder behind.
    if (!built && !outputDirExisted) {
      try {
        rmdirSync(outputDir); // only when empty
      } catch {
        // something else was put there meanwhile: leave it
      }
    }
    trace('done');
  }
}

/** CREG_CHART_TRACE=1: when each build step ended, in ms since Node.js started (npm run bench --trace). */
const trace = process.env.CREG_CHART_TRACE ? (step: string): void => void process.stderr.write(`creg-chart trace: ${performance.now().toFixed(1)} ms ${step}\n`) : (): void => {};

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
function writeValuesYaml(path: string, values: Values, layers: string[], opts: ValuesInput): void {
  const overridden = (opts.valuesFiles?.length ?? 0) + (opts.set?.length ?? 0) + (opts.setString?.length ?? 0) > 0;
  if (!overridden) {
    // The commented defaults are ours; still, nothing but printable text and \n goes to Helm.
    if (!isYamlSafeText(readFileSync(defaultsPath, 'utf8'))) throw new Error(`${defaultsPath} holds a character Helm's YAML reader treats as a line break or refuses.`);
    copyFileSync(defaultsPath, path);
    return;
  }
  // File names and --set text can hold any character: comments show them escaped.
  const header = [
    '# Default values of this chart, generated by `creg-chart build` from:',
    ...layers.map((l) => `#   ${commentText(l)}`),
    '# Every key is described in values.schema.json and README.md.',
    '',
  ].join('\n');
  // Written for Helm's reader (go-yaml, YAML 1.1): every string double-quoted and escaped.
  writeFileSync(path, header + helmValuesYaml(values));
}
