import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  readChartFile,
  sha256Of
} from "./cli-chunk-chunk-ZH7LS7VR.js";
import {
  require_dist
} from "./cli-chunk-chunk-BWD4I552.js";
import {
  UserError
} from "./cli-chunk-chunk-YWSDDZHY.js";
import {
  __toESM
} from "./cli-chunk-chunk-POY4YJ6C.js";

// src/publish/repo-dir.ts
var import_yaml = __toESM(require_dist(), 1);
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
async function publishToDir(opts) {
  const log = opts.log ?? (() => {
  });
  if (opts.url !== void 0 && !/^https?:\/\/[^\s"'<>\\]+$/.test(opts.url)) {
    throw new UserError(`--url: expected the http:// or https:// address the folder is served at (e.g. https://charts.example.com/creg), got "${opts.url}".`, 2);
  }
  const dir = resolve(opts.dir);
  const st = await stat(dir).catch(() => void 0);
  if (st && !st.isDirectory()) throw new UserError(`--to-dir ${opts.dir}: exists and is not a folder.`, 2);
  const chart = await readChartFile(opts.helm, opts.chartPath);
  const fileName = `${chart.name}-${chart.version}.tgz`;
  const target = join(dir, fileName);
  const indexPath = join(dir, "index.yaml");
  const ref = `${opts.dir.replace(/\/+$/, "")}/${fileName}`;
  let action = "pushed";
  const listed = existsSync(indexPath) ? await listedDigest(indexPath, chart.name, chart.version) : void 0;
  if (existsSync(target)) {
    const existing = await sha256Of(target);
    if (existing === chart.sha256 && listed === chart.sha256) {
      log(`${ref} is already in the repository with the same content (sha256 ${chart.sha256}); nothing to do.`);
      return { ref, action: "unchanged", sha256: chart.sha256 };
    }
    if (existing !== chart.sha256 && !opts.force) {
      throw new UserError(`${ref} already exists with different content (repository: sha256 ${existing}, ${opts.chartPath}: sha256 ${chart.sha256}). Nothing was changed. Build with a new --chart-version, or pass --force to replace it.`);
    }
    if (existing !== chart.sha256) action = "replaced";
  } else if (listed !== void 0 && listed !== chart.sha256 && !opts.force) {
    throw new UserError(`index.yaml in ${opts.dir} already lists ${chart.name} ${chart.version} with another digest (${listed}) although ${fileName} is not there. Nothing was changed. Pass --force to list this file instead.`);
  }
  await mkdir(dir, { recursive: true });
  const staging = await mkdtemp(join(dir, ".creg-publish-"));
  try {
    await copyFile(opts.chartPath, join(staging, fileName));
    const args = ["repo", "index", staging];
    if (opts.url) args.push("--url", opts.url.replace(/\/+$/, ""));
    if (existsSync(indexPath)) {
      args.push("--merge", indexPath);
      if (action === "replaced" || listed !== void 0) {
        await writeIndexWithout(indexPath, join(staging, "old-index.yaml"), chart.name, chart.version);
        args[args.length - 1] = join(staging, "old-index.yaml");
      }
    }
    log(`Indexing ${fileName} into ${join(opts.dir, "index.yaml")}${existsSync(indexPath) ? " (merged with the existing index)" : ""} (helm ${opts.helm.version})`);
    const r = await opts.helm.run(args);
    if (r.code !== 0) throw new UserError(`helm repo index failed; the repository in ${opts.dir} was not changed: ${(r.stderr || r.stdout).trim()}`);
    await rm(join(staging, "old-index.yaml"), { force: true });
    await rename(join(staging, fileName), target);
    await rename(join(staging, "index.yaml"), indexPath);
    log(`${action === "replaced" ? "Replaced" : "Added"} ${ref}; index.yaml lists ${await countVersions(indexPath, chart.name)} version(s) of ${chart.name}`);
    return { ref, action, sha256: chart.sha256 };
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
async function readIndex(path) {
  try {
    return (0, import_yaml.parse)(await readFile(path, "utf8")) ?? {};
  } catch (err) {
    throw new UserError(`${path}: not a readable chart repository index (${err.message.split("\n")[0]}). Fix or remove it; nothing was changed.`);
  }
}
async function listedDigest(indexPath, name, version) {
  const index = await readIndex(indexPath);
  return index.entries?.[name]?.find((e) => e.version === version)?.digest ?? (index.entries?.[name]?.some((e) => e.version === version) ? "" : void 0);
}
async function countVersions(indexPath, name) {
  return (await readIndex(indexPath)).entries?.[name]?.length ?? 0;
}
async function writeIndexWithout(from, to, name, version) {
  const doc = (0, import_yaml.parseDocument)(await readFile(from, "utf8"));
  const list = doc.getIn(["entries", name]);
  if (list?.items) list.items = list.items.filter((e) => String(e.get("version")) !== version);
  await writeFile(to, doc.toString());
}
export {
  publishToDir
};
