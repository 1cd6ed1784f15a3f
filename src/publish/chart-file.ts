import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { parse } from 'yaml';
import { UserError } from '../errors.js';
import type { Helm } from '../helm/helm.js';

export interface ChartFile {
  path: string;
  name: string;
  version: string;
  sha256: string;
}

/**
 * Reads a packaged chart: its name and version as helm sees them (`helm show
 * chart`) and the sha256 of the file, which is what OCI layers and index.yaml
 * digests are made of.
 */
export async function readChartFile(helm: Helm, path: string): Promise<ChartFile> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new UserError(`${path}: no such file. Give the .tgz that \`creg-chart build\` wrote (e.g. out/creg-0.1.0.tgz).`, 2);
  if (!st.isFile() || !path.endsWith('.tgz')) {
    throw new UserError(`${path}: expected a packaged chart file ending in .tgz (run \`creg-chart build\`, it writes out/<name>-<version>.tgz), got a ${st.isDirectory() ? 'folder' : 'file with another name'}.`, 2);
  }
  const shown = await helm.run(['show', 'chart', path]);
  if (shown.code !== 0) throw new UserError(`${path}: helm cannot read it as a chart: ${(shown.stderr || shown.stdout).trim()}`, 2);
  const meta = parse(shown.stdout) as { name?: string; version?: string };
  if (!meta?.name || !meta.version) throw new UserError(`${path}: its Chart.yaml has no name or version.`, 2);
  const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
  return { path, name: meta.name, version: String(meta.version), sha256 };
}

export async function sha256Of(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex');
}
