import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  valuesOptions,
  withValuesFlags
} from "./cli-chunk-chunk-23RMGUWB.js";
import {
  __export
} from "./cli-chunk-chunk-POY4YJ6C.js";

// src/commands/template.ts
var template_exports = {};
__export(template_exports, {
  builder: () => builder,
  command: () => command,
  describe: () => describe,
  handler: () => handler,
  options: () => options,
  ownOptions: () => ownOptions
});
var command = "template";
var describe = "Print the manifests one cluster would get: the real `helm template` of the chart with -f files, --cluster and --set";
var ownOptions = {
  cluster: { type: "string", describe: "the cluster override file, applied after the -f files (like a last -f)" },
  chart: { type: "string", describe: "a chart built by `creg-chart build` (.tgz or folder); default: build one from the built-in defaults into a temporary folder" },
  "release-name": { type: "string", default: "creg", describe: "release name, as in `helm install NAME`" },
  namespace: { alias: "n", type: "string", default: "default", describe: "namespace of the release" },
  "output-dir": { type: "string", describe: "write one file per template into this folder (helm template --output-dir) instead of printing" }
};
var options = { ...valuesOptions, ...ownOptions };
function builder(y) {
  return withValuesFlags(y).options(ownOptions).example("$0 template -f base.yaml --cluster clusters/a.yaml -n registry", "what cluster a gets, from a chart built on the fly").example("$0 template --chart out/creg-0.1.0.tgz -f base.yaml --cluster clusters/a.yaml", "the same from the packaged chart");
}
async function handler(argv) {
  const { templateCluster } = await import("./cli-chunk-template-YCKIE36B.js");
  const out = await templateCluster({
    valuesFiles: argv.values,
    set: argv.set,
    setString: argv["set-string"],
    cluster: argv.cluster,
    chart: argv.chart,
    releaseName: argv["release-name"],
    namespace: argv.namespace,
    outputDir: argv["output-dir"],
    // Progress goes to stderr so stdout stays the manifests (pipe it to kubectl).
    log: (line) => console.error(line)
  });
  process.stdout.write(out);
}

export {
  command,
  describe,
  ownOptions,
  options,
  builder,
  handler,
  template_exports
};
