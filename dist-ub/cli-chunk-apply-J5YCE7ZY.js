import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  writeFileAtomic
} from "./cli-chunk-chunk-XWKUWJPG.js";
import {
  MANAGED_FILES,
  MARKER_FILE
} from "./cli-chunk-chunk-IGNEQ7IX.js";
import "./cli-chunk-chunk-POY4YJ6C.js";

// src/trust/apply.ts
import { lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, rmdirSync } from "node:fs";
import { join } from "node:path";
var TrustApplyError = class extends Error {
  constructor(message, path, code) {
    super(message);
    this.path = path;
    this.code = code;
    this.name = "TrustApplyError";
  }
  path;
  code;
};
function readOrUndefined(path) {
  try {
    const st = lstatSync(path);
    if (!st.isFile()) return void 0;
    return readFileSync(path, "utf8");
  } catch {
    return void 0;
  }
}
function exists(path) {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
function markerOwner(dir) {
  return readOrUndefined(join(dir, MARKER_FILE))?.trim();
}
function check(d, root, owner) {
  const dir = root + d.addressDir;
  let st;
  try {
    st = lstatSync(dir);
  } catch {
    return { action: "write" };
  }
  if (!st.isDirectory()) {
    throw new TrustApplyError(`${dir} exists but is ${st.isSymbolicLink() ? "a symbolic link" : "not a directory"}; creg-chart does not follow or replace it. Remove it, or leave out --runtime ${d.kind}.`, dir);
  }
  const same = d.files.filter((f) => f.name !== MARKER_FILE).every((f) => {
    const have = readOrUndefined(root + f.path);
    return have === f.content || f.name !== "ca.crt" && have === void 0 && !exists(root + f.path);
  });
  const marker = markerOwner(dir);
  if (marker === owner) return { action: "write" };
  if (marker !== void 0) {
    if (same) return { action: "keep", by: `creg-chart release ${marker} (node trust DaemonSet)` };
    throw new TrustApplyError(
      `${dir} is managed by creg-chart release ${marker} (its node trust DaemonSet, marker ${MARKER_FILE}) and holds other trust files; let that release keep it, or remove the directory first.`,
      dir
    );
  }
  const theirs = d.files.filter((f) => f.name !== MARKER_FILE && exists(root + f.path));
  if (theirs.length === 0) return { action: "write" };
  if (same) return { action: "keep", by: "files not written by creg-chart (they already hold this CA)" };
  throw new TrustApplyError(
    `${theirs.map((f) => root + f.path).join(" and ")} ${theirs.length > 1 ? "exist" : "exists"} but ${theirs.length > 1 ? "were" : "was"} not written by creg-chart (no ${MARKER_FILE}) and ${theirs.length > 1 ? "differ" : "differs"} from what creg-chart would write; creg-chart does not overwrite it. Move it away and run creg-chart trust again, or use --print to see the files.`,
    root + theirs[0].path
  );
}
function removeOurs(dir) {
  for (const name of ["hosts.toml", ...MANAGED_FILES.filter((n) => n !== MARKER_FILE && n !== "hosts.toml")]) rmSync(join(dir, name), { force: true });
  rmSync(join(dir, MARKER_FILE), { force: true });
  try {
    rmdirSync(dir);
    return true;
  } catch {
    return false;
  }
}
function removeTrust(owner, certsDirs, root = "", address) {
  const r = root.replace(/\/+$/, "");
  const out = { removed: [], kept: [] };
  for (const certsDir of certsDirs) {
    let names;
    try {
      names = address ? [address] : readdirSync(r + certsDir);
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = join(r + certsDir, name);
      try {
        if (!lstatSync(dir).isDirectory()) continue;
      } catch {
        continue;
      }
      if (markerOwner(dir) !== owner) continue;
      (removeOurs(dir) ? out.removed : out.kept).push(dir);
    }
  }
  return out;
}
function applyTrustPlan(plan, root = "") {
  const r = root.replace(/\/+$/, "");
  const decisions = plan.dirs.map((d) => ({ d, decision: check(d, r, plan.owner) }));
  const result = { dirs: [] };
  for (const { d, decision } of decisions) {
    const dir = r + d.addressDir;
    if (decision.action === "keep") {
      result.dirs.push({ kind: d.kind, dir, state: "already-trusted", by: decision.by });
      continue;
    }
    mkdirSync(dir, { recursive: true, mode: 493 });
    const written = [];
    for (const f of d.files) {
      const p = r + f.path;
      const st = exists(p) ? lstatSync(p) : void 0;
      if (st?.isFile() && (st.mode & 4095) === f.mode && readOrUndefined(p) === f.content) continue;
      writeFileAtomic(p, f.content, f.mode);
      written.push(f.name);
    }
    result.dirs.push(written.length ? { kind: d.kind, dir, state: "written", files: written } : { kind: d.kind, dir, state: "unchanged" });
  }
  return result;
}
export {
  TrustApplyError,
  applyTrustPlan,
  removeTrust
};
