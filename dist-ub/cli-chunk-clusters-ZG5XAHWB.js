import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  loadValuesFile,
  resolveValues
} from "./cli-chunk-chunk-JMWZADJH.js";
import "./cli-chunk-chunk-BWD4I552.js";
import {
  UserError,
  ValidationError
} from "./cli-chunk-chunk-YWSDDZHY.js";
import "./cli-chunk-chunk-A6GFL4ZW.js";
import "./cli-chunk-chunk-POY4YJ6C.js";

// src/values/clusters.ts
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
function listClusterFiles(dir, flag = "--cluster-dir") {
  let entries;
  try {
    if (!statSync(dir).isDirectory()) throw new UserError(`${flag} ${dir}: not a folder. Give the folder that holds one values file per cluster (e.g. ${flag} clusters/), or pass a single file with --cluster.`, 2);
    entries = readdirSync(dir);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = err.code;
    throw new UserError(`${flag} ${dir}: cannot read the folder (${code === "ENOENT" ? "it does not exist" : err.message}). Check the path.`, 2);
  }
  const files = entries.filter((n) => /\.ya?ml$/.test(n) && !n.startsWith(".")).sort().map((n) => join(dir, n));
  if (files.length === 0) {
    throw new UserError(`${flag} ${dir}: the folder has no *.yaml or *.yml files. Put one values file per cluster there (e.g. ${join(dir, "cluster-a.yaml")}).`, 2);
  }
  return files;
}
function validateClusters(base, clusterFiles) {
  for (const file of base.valuesFiles ?? []) loadValuesFile(file);
  return clusterFiles.map((file) => {
    try {
      const resolved = resolveValues({ ...base, valuesFiles: [...base.valuesFiles ?? [], file] });
      return { file, problems: [], resolved };
    } catch (err) {
      if (err instanceof ValidationError) return { file, problems: err.problems };
      if (err instanceof UserError) return { file, problems: [err.message] };
      throw err;
    }
  });
}
export {
  listClusterFiles,
  validateClusters
};
