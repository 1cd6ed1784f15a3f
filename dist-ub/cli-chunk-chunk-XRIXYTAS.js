import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  valuesOptions,
  withValuesFlags
} from "./cli-chunk-chunk-23RMGUWB.js";
import {
  __export
} from "./cli-chunk-chunk-POY4YJ6C.js";

// src/commands/build.ts
var build_exports = {};
__export(build_exports, {
  builder: () => builder,
  command: () => command,
  describe: () => describe,
  handler: () => handler,
  options: () => options,
  ownOptions: () => ownOptions
});
var command = "build";
var describe = "Validate values, render the chart from chart-templates/, run helm lint --strict and package the chart (.tgz, as helm package writes it) into --output-dir";
var ownOptions = {
  "output-dir": { type: "string", default: "out", describe: "folder for the chart folder and the .tgz" },
  "chart-name": { type: "string", default: "creg", describe: "chart name (also the default object name prefix)" },
  "chart-version": { type: "string", describe: "chart version (semantic version; default: the creg-chart version)" }
};
var options = { ...valuesOptions, ...ownOptions };
function builder(y) {
  return withValuesFlags(y).options(ownOptions).example("$0 build", "build from the built-in defaults (NAS 172.27.128.2:/nas, nodes labelled node=registry)").example("$0 build -f base.yaml -f clusters/a.yaml --set registry.replicas=2", "build with overrides");
}
async function handler(argv) {
  const { findHelm } = await import("./cli-chunk-helm-SHL5OLUD.js");
  const helm = findHelm();
  helm.catch(() => {
  });
  const { buildChart } = await import("./cli-chunk-pipeline-5YSY4CY3.js");
  await buildChart({
    helm,
    valuesFiles: argv.values,
    set: argv.set,
    setString: argv["set-string"],
    outputDir: argv["output-dir"],
    chartName: argv["chart-name"],
    chartVersion: argv["chart-version"],
    log: (line) => console.log(line)
  });
}

export {
  command,
  describe,
  ownOptions,
  options,
  builder,
  handler,
  build_exports
};
