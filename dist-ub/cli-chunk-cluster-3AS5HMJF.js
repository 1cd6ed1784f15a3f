import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  TrustInputError,
  chartFullname,
  checkCaPem,
  formatAddress
} from "./cli-chunk-chunk-IGNEQ7IX.js";
import {
  packageRoot
} from "./cli-chunk-chunk-A6GFL4ZW.js";
import "./cli-chunk-chunk-POY4YJ6C.js";

// src/trust/cluster.ts
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";
var CA_CONFIGMAP_ANNOTATION = "creg-chart/ca-configmap";
function findKubectl(env = process.env) {
  if (env.KUBECTL) return env.KUBECTL;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, "kubectl"))) return join(dir, "kubectl");
  }
  const bundled = join(packageRoot, "node_modules", ".creg-chart", "kubectl", "kubectl");
  if (existsSync(bundled)) return bundled;
  throw new TrustInputError("kubectl was not found: install kubectl (https://kubernetes.io/docs/tasks/tools/), or set KUBECTL=/path/to/kubectl, or use --ca-file and --address instead of --release.");
}
var shellWord = (s) => /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
var KUBECTL_TIMEOUT_MS = 6e4;
function runKubectl(bin, args) {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { maxBuffer: 16 * 1024 * 1024, timeout: KUBECTL_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err && err.killed) {
        reject(new TrustInputError(`kubectl did not answer within ${KUBECTL_TIMEOUT_MS / 1e3} s (${bin} ${args.join(" ")}); check that the API server of the kube context is reachable.`));
        return;
      }
      if (err && typeof err.code === "string") {
        reject(new TrustInputError(`Cannot run kubectl at ${bin} (${err.code}); install kubectl or set KUBECTL=/path/to/kubectl.`));
        return;
      }
      resolve({ code: err ? typeof err.code === "number" ? err.code : 1 : 0, stdout, stderr });
    });
  });
}
function explainKubectlFailure(what, stderr, opts) {
  const msg = stderr.trim().split("\n").filter(Boolean).slice(-3).join(" ");
  const ns = opts.namespace ? `namespace "${opts.namespace}"` : "the context's namespace";
  if (/forbidden/i.test(msg)) {
    return `kubectl may not ${what} in ${ns} (Forbidden). Your user needs "get" on services and configmaps there (not on Secrets); ask the cluster admin, or get ca.crt another way and use --ca-file with --address. kubectl said: ${msg}`;
  }
  if (/Unauthorized|You must be logged in/i.test(msg)) {
    return `kubectl is not logged in to the cluster (Unauthorized) trying to ${what}; refresh your credentials or pick another --kube-context. kubectl said: ${msg}`;
  }
  if (/context .* does not exist|no context exists/i.test(msg)) {
    return `The kube context does not exist: check --kube-context (kubectl config get-contexts). kubectl said: ${msg}`;
  }
  if (/connection refused|no such host|i\/o timeout|Unable to connect/i.test(msg)) {
    return `kubectl cannot reach the cluster to ${what}; check --kube-context/--kubeconfig and that the API server is up. kubectl said: ${msg}`;
  }
  return `kubectl failed to ${what}: ${msg || "(no output)"}`;
}
function namespaceOr(ns) {
  return ns && ns.length > 0 ? ns : "NAMESPACE";
}
async function readReleaseTrust(release, opts, env = process.env) {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(release) || release.length > 53) {
    throw new TrustInputError(`--release must be a Helm release name (lower-case letters, digits and "-", at most 53 characters), not "${release}".`);
  }
  if (opts.namespace !== void 0 && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(opts.namespace)) {
    throw new TrustInputError(`-n/--namespace must be a Kubernetes namespace name, not "${opts.namespace}".`);
  }
  const kubectl = findKubectl(env);
  const base = [];
  if (opts.kubeconfig) base.push("--kubeconfig", opts.kubeconfig);
  if (opts.kubeContext) base.push("--context", opts.kubeContext);
  const commands = [];
  const get = async (what, args) => {
    const full = [...base, "get", ...args, "--output", "json"];
    commands.push(["kubectl", ...full].map(shellWord).join(" "));
    const r = await runKubectl(kubectl, full);
    if (r.code !== 0) return { ok: false, stderr: r.stderr, what };
    try {
      return { ok: true, json: JSON.parse(r.stdout) };
    } catch {
      throw new TrustInputError(`kubectl printed something that is not JSON when asked to ${what}; is KUBECTL (${kubectl}) really kubectl?`);
    }
  };
  const selector = `app.kubernetes.io/instance=${release},app.kubernetes.io/component=registry`;
  const svcs = await get("list services", ["services", "--selector", selector, ...opts.namespace ? ["--namespace", opts.namespace] : []]);
  if (!svcs.ok) throw new TrustInputError(explainKubectlFailure("list services", svcs.stderr, opts));
  const items = svcs.json?.items ?? [];
  const where = opts.namespace ? `namespace "${opts.namespace}"` : "the kube context's namespace";
  if (items.length === 0) {
    const afterUninstall = opts.serviceOnly ? ` If the release was uninstalled already, remove its files by owner instead: creg-chart trust --remove --owner NAMESPACE/FULLNAME (the content of the .creg-chart-owner files, e.g. ${namespaceOr(opts.namespace)}/${release}-creg).` : "";
    throw new TrustInputError(`No registry Service of release "${release}" in ${where} (labels ${selector}). Check the release name and namespace (helm list --all-namespaces) and pass -n NAMESPACE.${afterUninstall}`);
  }
  if (items.length > 1) {
    throw new TrustInputError(`Release "${release}" has ${items.length} Services labelled as its registry (${items.map((s) => s.metadata?.name).join(", ")}); expected one.`);
  }
  const svc = items[0];
  const service = svc.metadata?.name;
  const namespace = svc.metadata?.namespace ?? opts.namespace ?? "default";
  const ip = svc.spec?.clusterIP;
  if (!ip || ip === "None") {
    throw new TrustInputError(`Service ${namespace}/${service} has no ClusterIP (${ip ?? "none"}); the registry Service must be type ClusterIP.`);
  }
  const ports = svc.spec?.ports ?? [];
  const port = (ports.find((p) => p.name === "https") ?? ports[0])?.port;
  if (typeof port !== "number") throw new TrustInputError(`Service ${namespace}/${service} has no port.`);
  const address = formatAddress(ip, port);
  const configMap = svc.metadata?.annotations?.[CA_CONFIGMAP_ANNOTATION] || `${chartFullname(release)}-ca`;
  const owner = `${namespace}/${configMap.replace(/-ca$/, "")}`;
  if (opts.serviceOnly) return { namespace, service, configMap, owner, address, caPem: "", kubectl, commands };
  const cm = await get(`get configmap ${configMap}`, ["configmap", configMap, "--namespace", namespace]);
  if (!cm.ok) {
    if (/NotFound|not found/i.test(cm.stderr)) {
      throw new TrustInputError(
        `ConfigMap ${namespace}/${configMap} (the registry's CA certificate) does not exist yet: the signer hook publishes it after install/upgrade. Check kubectl -n ${namespace} get jobs,pods and kubectl -n ${namespace} logs job/${configMap.replace(/-ca$/, "")}-signer, then run helm upgrade to run the hook again.`
      );
    }
    throw new TrustInputError(explainKubectlFailure(`get configmap ${configMap}`, cm.stderr, { ...opts, namespace }));
  }
  const caPem = cm.json?.data?.["ca.crt"];
  if (!caPem) throw new TrustInputError(`ConfigMap ${namespace}/${configMap} has no key ca.crt; run helm upgrade so the signer hook publishes the CA again.`);
  checkCaPem(caPem, `ConfigMap ${namespace}/${configMap} key ca.crt`);
  return { namespace, service, configMap, owner, address, caPem, kubectl, commands };
}
export {
  CA_CONFIGMAP_ANNOTATION,
  findKubectl,
  readReleaseTrust
};
