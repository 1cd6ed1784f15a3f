import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  valuesOptions,
  withValuesFlags
} from "./cli-chunk-chunk-23RMGUWB.js";
import {
  __export
} from "./cli-chunk-chunk-POY4YJ6C.js";

// src/commands/validate.ts
var validate_exports = {};
__export(validate_exports, {
  builder: () => builder,
  command: () => command,
  describe: () => describe,
  handler: () => handler,
  options: () => options,
  ownOptions: () => ownOptions
});
var command = "validate";
var describe = "Check values files and --set against the values schema, for one cluster or for every cluster file in a folder (nothing is written)";
var ownOptions = {
  cluster: {
    type: "string",
    array: true,
    default: [],
    describe: "a cluster override file, merged after the -f files and checked on its own (repeatable)"
  },
  "cluster-dir": {
    type: "string",
    array: true,
    default: [],
    describe: "a folder of cluster override files: each *.yaml/*.yml is merged after the -f files and checked on its own (repeatable)"
  }
};
var options = { ...valuesOptions, ...ownOptions };
function builder(y) {
  return withValuesFlags(y).options(ownOptions).example("$0 validate -f values.yaml", "check one file merged over the defaults").example("$0 validate -f base.yaml --cluster-dir clusters/", "check every cluster file in clusters/ merged over base.yaml");
}
async function handler(argv) {
  const base = { valuesFiles: argv.values, set: argv.set, setString: argv["set-string"] };
  if (argv.cluster.length === 0 && argv["cluster-dir"].length === 0) {
    const { resolveValues } = await import("./cli-chunk-values-M34HKLD4.js");
    resolveValues(base);
    const layers = ["built-in defaults", ...argv.values, ...argv.set.map((s) => `--set ${s}`), ...argv["set-string"].map((s) => `--set-string ${s}`)];
    console.log(`Values are valid: ${layers.join(", ")}`);
    return;
  }
  const { listClusterFiles, validateClusters } = await import("./cli-chunk-clusters-LE4JTP2S.js");
  const { UserError } = await import("./cli-chunk-errors-NQZMEZ4B.js");
  const files = [...argv.cluster, ...argv["cluster-dir"].flatMap((d) => listClusterFiles(d))];
  const shared = ["built-in defaults", ...argv.values].join(" + ");
  console.log(`Checking ${files.length} cluster file(s), each merged over ${shared}${argv.set.length + argv["set-string"].length ? " and followed by the --set flags" : ""}:`);
  const results = validateClusters(base, files);
  const lines = [];
  for (const r of results) {
    if (r.problems.length === 0) {
      lines.push(`  ok    ${r.file}`);
    } else {
      lines.push(`  FAIL  ${r.file}: ${r.problems.length} problem(s)`);
      for (const p of r.problems) lines.push(`          - ${p.replace(/\n/g, "\n            ")}`);
    }
  }
  process.stdout.write(`${lines.join("\n")}
`);
  const bad = results.filter((r) => r.problems.length > 0);
  if (bad.length > 0) {
    throw new UserError(`${bad.length} of ${results.length} cluster file(s) are not valid: ${bad.map((r) => r.file).join(", ")}. Fix the fields listed above and run the same command again.`);
  }
  console.log(`All ${results.length} cluster file(s) are valid.`);
}

export {
  command,
  describe,
  ownOptions,
  options,
  builder,
  handler,
  validate_exports
};
