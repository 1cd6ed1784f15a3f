import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  buildChart
} from "./cli-chunk-chunk-BRFHJS6R.js";
import {
  findHelm
} from "./cli-chunk-chunk-LMBQ52M7.js";
import {
  resolveValues
} from "./cli-chunk-chunk-JMWZADJH.js";
import "./cli-chunk-chunk-BWD4I552.js";
import {
  UserError
} from "./cli-chunk-chunk-YWSDDZHY.js";
import "./cli-chunk-chunk-A6GFL4ZW.js";
import "./cli-chunk-chunk-POY4YJ6C.js";

// src/build/template.ts
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
var RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
async function templateCluster(opts) {
  const log = opts.log ?? (() => {
  });
  if (!RELEASE_NAME.test(opts.releaseName) || opts.releaseName.length > 53) {
    throw new UserError(`--release-name: expected lower-case letters, digits and '-' (at most 53 characters, as Helm requires), got "${opts.releaseName}".`, 2);
  }
  if (!RELEASE_NAME.test(opts.namespace) || opts.namespace.length > 63) {
    throw new UserError(`--namespace: expected a Kubernetes namespace name (lower-case letters, digits and '-', at most 63 characters), got "${opts.namespace}".`, 2);
  }
  if (opts.chart && !existsSync(opts.chart)) {
    throw new UserError(`--chart ${opts.chart}: no such file or folder. Give a chart built by \`creg-chart build\` (e.g. out/creg-0.1.0.tgz), or leave out --chart to build one from the built-in defaults.`, 2);
  }
  const valuesFiles = [...opts.valuesFiles ?? [], ...opts.cluster ? [opts.cluster] : []];
  const helm = opts.helm ?? await findHelm();
  const work = await mkdtemp(join(tmpdir(), "creg-template-"));
  try {
    let chart;
    let defaultsFile;
    if (opts.chart) {
      chart = resolve(opts.chart);
      const shown = await helm.run(["show", "values", chart]);
      if (shown.code !== 0) throw new UserError(`--chart ${opts.chart}: helm cannot read it as a chart: ${(shown.stderr || shown.stdout).trim()}`, 2);
      defaultsFile = join(work, "chart-values.yaml");
      await writeFile(defaultsFile, shown.stdout.trim() === "" ? "{}\n" : shown.stdout);
    }
    resolveValues({ ...opts, valuesFiles, defaultsFile, defaultsLabel: opts.chart ? `${opts.chart} values.yaml` : void 0 });
    if (!opts.chart) {
      log("No --chart given: building the chart from the built-in defaults into a temporary folder");
      const built = await buildChart({ outputDir: join(work, "build"), helm, log: (l) => log(`  ${l}`) });
      chart = built.tgzPath;
    }
    const args = ["template", opts.releaseName, chart, "--namespace", opts.namespace];
    for (const f of valuesFiles) args.push("--values", resolve(f));
    for (const s of opts.set ?? []) args.push("--set", s);
    for (const s of opts.setString ?? []) args.push("--set-string", s);
    if (opts.outputDir) args.push("--output-dir", resolve(opts.outputDir));
    log(`helm template ${opts.releaseName} ${opts.chart ?? "<built chart>"} --namespace ${opts.namespace}${valuesFiles.map((f) => ` -f ${f}`).join("")} (helm ${helm.version})`);
    const r = await helm.run(args);
    if (r.code !== 0) {
      throw new UserError(`helm template failed:
${(r.stderr || r.stdout).trim()}`);
    }
    return r.stdout;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
export {
  templateCluster
};
