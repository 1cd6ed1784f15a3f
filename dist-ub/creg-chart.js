import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  UserError
} from "./cli-chunk-chunk-YWSDDZHY.js";
import {
  packageRoot
} from "./cli-chunk-chunk-A6GFL4ZW.js";
import "./cli-chunk-chunk-POY4YJ6C.js";

// src/main.ts
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";

// src/fast-args.ts
var camel = (name) => name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
function parseFast(command, args, specs) {
  const byName = /* @__PURE__ */ new Map();
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.type !== "string") return void 0;
    byName.set(`--${name}`, [name, spec]);
    if (spec.alias) byName.set(`-${spec.alias}`, [name, spec]);
  }
  const given = /* @__PURE__ */ new Map();
  for (let i = 0; i < args.length; i++) {
    const token = args[i];
    let flag = token;
    let value;
    const eq = token.indexOf("=");
    if (token.startsWith("--") && eq > 2) {
      flag = token.slice(0, eq);
      value = token.slice(eq + 1);
    }
    const found = byName.get(flag);
    if (!found || value !== void 0 && !flag.startsWith("--")) return void 0;
    if (value === void 0) {
      value = args[++i];
      if (value === void 0 || value.startsWith("-")) return void 0;
    }
    if (value === "") return void 0;
    const [name, spec] = found;
    const list = given.get(name) ?? [];
    if (list.length > 0 && !spec.array) return void 0;
    list.push(value);
    given.set(name, list);
  }
  const argv = { _: [command], $0: "creg-chart" };
  for (const [name, spec] of Object.entries(specs)) {
    const list = given.get(name);
    const value = list ? spec.array ? list : list[0] : spec.default;
    if (value === void 0) continue;
    const keys = [name, camel(name), ...spec.alias ? [spec.alias] : []];
    for (const key of new Set(keys)) argv[key] = Array.isArray(value) ? [...value] : value;
  }
  return argv;
}

// src/main.ts
var helpFile = join(packageRoot, "dist", "help.json");
var bundleFile = join(packageRoot, "dist", "creg-chart.js");
function precomputedHelp(args) {
  if (args.length === 0 || args.length > 2 || !args.some((a) => a === "--help" || a === "-h" || a === "--version")) return void 0;
  let help;
  try {
    help = JSON.parse(readFileSync(helpFile, "utf8"));
    const st = statSync(bundleFile);
    if (st.size !== help.bundle.size || st.mtimeMs !== help.bundle.mtimeMs) return void 0;
  } catch {
    return void 0;
  }
  const text = help.texts[args.join("\0")];
  return typeof text === "string" ? text : void 0;
}
var fastCommands = {
  build: () => import("./cli-chunk-build-KTGWIY4Z.js"),
  validate: () => import("./cli-chunk-validate-HGPKMQXL.js"),
  template: () => import("./cli-chunk-template-7P64W5X7.js")
};
async function main(args) {
  const help = precomputedHelp(args);
  if (help !== void 0) {
    process.stdout.write(help);
    return;
  }
  const load = fastCommands[args[0]];
  if (load && !process.env.CREG_CHART_NO_FAST_ARGS) {
    const mod = await load();
    const argv = parseFast(args[0], args.slice(1), mod.options);
    if (argv) {
      await mod.handler(argv);
      return;
    }
  }
  const { runCli } = await import("./cli-chunk-cli-MGXOC7GN.js");
  await runCli(args);
}
function reportError(err) {
  if (err instanceof UserError) {
    console.error(`Error: ${err.message}`);
    process.exit(err.exitCode);
  }
  console.error(err);
  console.error("This is a bug in creg-chart; please report it with the command you ran.");
  process.exit(1);
}
main(process.argv.slice(2)).catch(reportError);
export {
  bundleFile,
  helpFile,
  main,
  precomputedHelp,
  reportError
};
