import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  require_dist
} from "./cli-chunk-chunk-BWD4I552.js";
import {
  UserError
} from "./cli-chunk-chunk-YWSDDZHY.js";
import {
  __toESM
} from "./cli-chunk-chunk-POY4YJ6C.js";

// src/publish/chart-file.ts
var import_yaml = __toESM(require_dist(), 1);
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
async function readChartFile(helm, path) {
  const st = await stat(path).catch(() => void 0);
  if (!st) throw new UserError(`${path}: no such file. Give the .tgz that \`creg-chart build\` wrote (e.g. out/creg-0.1.0.tgz).`, 2);
  if (!st.isFile() || !path.endsWith(".tgz")) {
    throw new UserError(`${path}: expected a packaged chart file ending in .tgz (run \`creg-chart build\`, it writes out/<name>-<version>.tgz), got a ${st.isDirectory() ? "folder" : "file with another name"}.`, 2);
  }
  const shown = await helm.run(["show", "chart", path]);
  if (shown.code !== 0) throw new UserError(`${path}: helm cannot read it as a chart: ${(shown.stderr || shown.stdout).trim()}`, 2);
  const meta = (0, import_yaml.parse)(shown.stdout);
  if (!meta?.name || !meta.version) throw new UserError(`${path}: its Chart.yaml has no name or version.`, 2);
  const sha256 = createHash("sha256").update(await readFile(path)).digest("hex");
  return { path, name: meta.name, version: String(meta.version), sha256 };
}
async function sha256Of(path) {
  return createHash("sha256").update(await readFile(path)).digest("hex");
}

export {
  readChartFile,
  sha256Of
};
