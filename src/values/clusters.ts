import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError, ValidationError } from '../errors.js';
import { loadValuesFile, resolveValues, type ResolvedValues, type ValuesInput } from './index.js';

/** The cluster override files in `dir`: every `*.yaml` / `*.yml`, sorted by name. */
export function listClusterFiles(dir: string, flag = '--cluster-dir'): string[] {
  let entries: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new UserError(`${flag} ${dir}: not a folder. Give the folder that holds one values file per cluster (e.g. ${flag} clusters/), or pass a single file with --cluster.`, 2);
    entries = readdirSync(dir);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new UserError(`${flag} ${dir}: cannot read the folder (${code === 'ENOENT' ? 'it does not exist' : (err as Error).message}). Check the path.`, 2);
  }
  const files = entries.filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.')).sort().map((n) => join(dir, n));
  if (files.length === 0) {
    throw new UserError(`${flag} ${dir}: the folder has no *.yaml or *.yml files. Put one values file per cluster there (e.g. ${join(dir, 'cluster-a.yaml')}).`, 2);
  }
  return files;
}

export interface ClusterResult {
  file: string;
  problems: string[];
  resolved?: ResolvedValues;
}

/**
 * Validates every cluster file merged over the shared layers: the base `-f`
 * files first, the cluster file next, `--set`/`--set-string` last (the order
 * `helm install -f base.yaml -f clusters/x.yaml --set ...` applies them).
 * Every problem of every file is collected; nothing stops at the first.
 */
export function validateClusters(base: ValuesInput, clusterFiles: string[]): ClusterResult[] {
  // The shared -f files are read once up front: one that cannot be read is
  // one error naming it, not a failure reported against every cluster file;
  // every cluster file then reuses them (and the built-in defaults).
  const shared = new Map((base.valuesFiles ?? []).map((file) => [file, loadValuesFile(file)]));
  return clusterFiles.map((file) => {
    try {
      const resolved = resolveValues({ ...base, valuesFiles: [...(base.valuesFiles ?? []), file] }, shared);
      return { file, problems: [], resolved };
    } catch (err) {
      if (err instanceof ValidationError) return { file, problems: err.problems };
      if (err instanceof UserError) return { file, problems: [err.message] };
      throw err;
    }
  });
}

