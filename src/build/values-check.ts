import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import type { Helm } from '../helm/helm.js';
import { formatPath } from '../values/validate.js';
import { commentText, withoutNullKeys } from '../values/emit.js';
import type { ValuePath } from '../values/sources.js';

/**
 * Proof that Helm reads the chart's values.yaml as the values creg-chart
 * validated. A template that calls `fail` with `.Values` as JSON (base64)
 * rides on the build's `helm lint --strict` as a lint check (written into the
 * staged chart for lint only, never packaged: src/build/pipeline.ts). In lint
 * mode Helm logs a `fail` message instead of failing, so the lint log carries
 * `.Values` exactly as Helm built them from values.yaml, at no extra helm
 * start-up. A helm that does not log it (older releases) gets one
 * `helm template` of a probe chart holding a copy of values.yaml instead.
 */

const MARKER = /CREG-VALUES:([A-Za-z0-9+/=]*):END/;

export const PROBE_NAME = 'creg-values-check';

const READBACK_TEMPLATE = '{{ fail (printf "CREG-VALUES:%s:END" (toJson .Values | b64enc)) }}\n';

/** The read-back as a lint check (src/build/pipeline.ts LintCheck): it never fails lint itself. */
export const VALUES_READBACK_CHECK = {
  file: 'templates/creg-values-check.yaml',
  content: (): string => READBACK_TEMPLATE,
  explain: (): string | undefined => undefined,
};

/** Writes the probe chart into `dir` (a folder of its own, beside the staged chart). */
export async function writeValuesProbe(dir: string, valuesYaml: string): Promise<void> {
  await mkdir(join(dir, 'templates'), { recursive: true });
  await writeFile(join(dir, 'Chart.yaml'), `apiVersion: v2\nname: ${PROBE_NAME}\nversion: 0.0.0\ndescription: creg-chart build check (never packaged)\nicon: https://example.invalid/icon.png\n`);
  await copyFile(valuesYaml, join(dir, 'values.yaml'));
  await writeFile(
    join(dir, 'templates', 'values.yaml'),
    // helm template (no lint mode) stops at this fail, so its error output carries the message too.
    READBACK_TEMPLATE,
  );
}

/** Helm's `.Values` from a lint (or template) log that ran the probe; undefined when the log lacks it. */
export function valuesFromLog(log: string): unknown {
  const m = MARKER.exec(log);
  if (!m) return undefined;
  return JSON.parse(Buffer.from(m[1], 'base64').toString('utf8'));
}

/**
 * Helm's `.Values` from values.yaml: from the lint log when it carries them,
 * else from one `helm template` of a probe chart written into `probeDir`.
 */
export async function helmValuesOf(helm: Helm, probeDir: string, valuesYaml: string, lintLog: string): Promise<unknown> {
  const fromLint = valuesFromLog(lintLog);
  if (fromLint !== undefined) return fromLint;
  await writeValuesProbe(probeDir, valuesYaml);
  const r = await helm.run(['template', 'creg-values-check', probeDir]);
  const fromTemplate = valuesFromLog(r.stdout + r.stderr);
  if (fromTemplate === undefined) {
    throw new UserError(`helm ${helm.version} did not report the values it read from the chart's values.yaml, so the build cannot prove they are the ones validated; nothing was packaged:\n${(r.stderr || r.stdout).trim()}`);
  }
  return fromTemplate;
}

/** Every path where `a` and `b` differ (at most `limit`), as value paths. */
export function differences(a: unknown, b: unknown, path: ValuePath = [], out: ValuePath[] = [], limit = 10): ValuePath[] {
  if (out.length >= limit) return out;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(path);
    else a.forEach((x, i) => differences(x, b[i], [...path, i], out, limit));
    return out;
  }
  const am = typeof a === 'object' && a !== null && !Array.isArray(a);
  const bm = typeof b === 'object' && b !== null && !Array.isArray(b);
  if (am && bm) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    for (const k of new Set([...Object.keys(ao), ...Object.keys(bo)])) {
      if (!Object.prototype.hasOwnProperty.call(ao, k) || !Object.prototype.hasOwnProperty.call(bo, k)) out.push([...path, k]);
      else differences(ao[k], bo[k], [...path, k], out, limit);
      if (out.length >= limit) break;
    }
    return out;
  }
  if (!Object.is(a, b) && !(typeof a === 'number' && a === b)) out.push(path);
  return out;
}

/**
 * Refuses when Helm's `.Values` differ from what was validated (nulls left
 * out, as values.yaml leaves them out), naming every differing key.
 * `global` is Helm's own: it adds an empty one when the chart has none.
 */
export function checkHelmValues(validated: Record<string, unknown>, helmValues: unknown, helmVersion: string, outputDir: string): void {
  const want = JSON.parse(JSON.stringify(withoutNullKeys(validated))) as Record<string, unknown>;
  const got = helmValues as Record<string, unknown>;
  if (typeof got === 'object' && got !== null && !('global' in want) && JSON.stringify(got.global) === '{}') delete got.global;
  const diff = differences(want, got);
  if (diff.length === 0) return;
  const show = (v: unknown): string => (v === undefined ? 'nothing' : commentText(JSON.stringify(v).slice(0, 120)));
  const at = (root: unknown, p: ValuePath): unknown => p.reduce<unknown>((cur, k) => (cur as Record<string | number, unknown> | undefined)?.[k], root);
  const lines = diff.map((p) => `  - ${formatPath(p)}: validated ${show(at(want, p))}, Helm ${helmVersion} reads ${show(at(got, p))}`);
  throw new UserError(
    `Helm reads the chart's values.yaml differently from the values creg-chart validated; nothing was written to ${outputDir}:\n${lines.join('\n')}\n` +
      'This is a creg-chart bug (values.yaml must be written so that Helm reads exactly what was checked): please report it with the values that caused it.',
  );
}
