// Reads what `creg-chart trust --release` needs from a cluster, through the
// user's kubectl (their kubeconfig, context and credentials): the registry
// Service of the release (ClusterIP, port, and the annotation naming the CA
// ConfigMap) and the CA certificate from that ConfigMap. Only `get services`
// and `get configmaps` are needed: never the CA Secret or its key.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { delimiter, join } from 'node:path';
import { packageRoot } from '../paths.js';
import { type RegistryAddress, TrustInputError, chartFullname, checkCaPem, formatAddress } from './plan.js';

/** Service annotation set by the chart (registry-service.yaml): the CA ConfigMap's name. */
export const CA_CONFIGMAP_ANNOTATION = 'creg-chart/ca-configmap';

export interface KubectlOptions {
  namespace?: string;
  kubeContext?: string;
  kubeconfig?: string;
}

export interface ReleaseTrust {
  namespace: string;
  service: string;
  configMap: string;
  /** `<namespace>/<fullname>`: the owner the node trust DaemonSet writes in its marker. */
  owner: string;
  address: RegistryAddress;
  caPem: string;
  kubectl: string;
  /** The kubectl command lines that were run (for --print). */
  commands: string[];
  /** The registry Service's annotations (mirror mode: creg-chart/mirror-hosts, creg-chart/mirror-upstream). */
  annotations: Record<string, string>;
}

/** The kubectl to use: $KUBECTL, else kubectl on PATH, else the one npm install may have unpacked. */
export function findKubectl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KUBECTL) return env.KUBECTL;
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'kubectl'))) return join(dir, 'kubectl');
  }
  const bundled = join(packageRoot, 'node_modules', '.creg-chart', 'kubectl', 'kubectl');
  if (existsSync(bundled)) return bundled;
  throw new TrustInputError('kubectl was not found: install kubectl (https://kubernetes.io/docs/tasks/tools/), or set KUBECTL=/path/to/kubectl, or use --ca-file and --address instead of --release.');
}

const DNS_LABEL = { re: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, max: 63, what: 'a DNS-1123 label (lower-case letters, digits and "-", at most 63 characters)' };
const DNS_SUBDOMAIN = { re: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, max: 253, what: 'a Kubernetes object name (lower-case letters, digits, "-" and ".", at most 253 characters)' };

/** A name read from a cluster object, checked as a Kubernetes object name before kubectl or a path sees it. */
function clusterName(value: unknown, where: string, rule: { re: RegExp; max: number; what: string }): string {
  if (typeof value !== 'string' || value.length > rule.max || !rule.re.test(value)) {
    throw new TrustInputError(`${where} is ${JSON.stringify(value)?.slice(0, 100)}, which is not ${rule.what}; refusing to use it (someone may have edited the object). Fix or remove it, or use --ca-file and --address instead of --release.`);
  }
  return value;
}

const shellWord = (s: string) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

const KUBECTL_TIMEOUT_MS = 60_000;

function runKubectl(bin: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { maxBuffer: 16 * 1024 * 1024, timeout: KUBECTL_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err && (err as { killed?: boolean }).killed) {
        reject(new TrustInputError(`kubectl did not answer within ${KUBECTL_TIMEOUT_MS / 1000} s (${bin} ${args.join(' ')}); check that the API server of the kube context is reachable.`));
        return;
      }
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') {
        reject(new TrustInputError(`Cannot run kubectl at ${bin} (${(err as NodeJS.ErrnoException).code}); install kubectl or set KUBECTL=/path/to/kubectl.`));
        return;
      }
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
    });
  });
}

/** Turns kubectl's stderr into a sentence saying what to do. */
function explainKubectlFailure(what: string, stderr: string, opts: KubectlOptions): string {
  const msg = stderr.trim().split('\n').filter(Boolean).slice(-3).join(' ');
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
  return `kubectl failed to ${what}: ${msg || '(no output)'}`;
}

/**
 * Finds the release's registry Service (labels app.kubernetes.io/instance=<release>,
 * app.kubernetes.io/component=registry), then reads ca.crt from the ConfigMap it names.
 */
function namespaceOr(ns: string | undefined): string {
  return ns && ns.length > 0 ? ns : 'NAMESPACE';
}

export async function readReleaseTrust(release: string, opts: KubectlOptions & { serviceOnly?: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<ReleaseTrust> {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(release) || release.length > 53) {
    throw new TrustInputError(`--release must be a Helm release name (lower-case letters, digits and "-", at most 53 characters), not "${release}".`);
  }
  if (opts.namespace !== undefined && !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(opts.namespace)) {
    throw new TrustInputError(`-n/--namespace must be a Kubernetes namespace name, not "${opts.namespace}".`);
  }
  const kubectl = findKubectl(env);
  // `--flag=value`: a value can never be read as another flag.
  const base: string[] = [];
  if (opts.kubeconfig) base.push(`--kubeconfig=${opts.kubeconfig}`);
  if (opts.kubeContext) base.push(`--context=${opts.kubeContext}`);
  const commands: string[] = [];
  // Flags first, then `--`, then the operands: a name can never become a flag.
  const get = async (what: string, flags: string[], operands: string[]) => {
    const full = [...base, 'get', ...flags, '--output=json', '--', ...operands];
    commands.push(['kubectl', ...full].map(shellWord).join(' '));
    const r = await runKubectl(kubectl, full);
    if (r.code !== 0) return { ok: false as const, stderr: r.stderr, what };
    try {
      return { ok: true as const, json: JSON.parse(r.stdout) };
    } catch {
      throw new TrustInputError(`kubectl printed something that is not JSON when asked to ${what}; is KUBECTL (${kubectl}) really kubectl?`);
    }
  };

  const selector = `app.kubernetes.io/instance=${release},app.kubernetes.io/component=registry`;
  const svcs = await get('list services', [`--selector=${selector}`, ...(opts.namespace ? [`--namespace=${opts.namespace}`] : [])], ['services']);
  if (!svcs.ok) throw new TrustInputError(explainKubectlFailure('list services', svcs.stderr, opts));
  const items: any[] = svcs.json?.items ?? [];
  const where = opts.namespace ? `namespace "${opts.namespace}"` : "the kube context's namespace";
  if (items.length === 0) {
    const afterUninstall = opts.serviceOnly
      ? ` If the release was uninstalled already, remove its files by owner instead: creg-chart trust --remove --owner NAMESPACE/FULLNAME (the content of the .creg-chart-owner files, e.g. ${namespaceOr(opts.namespace)}/${release}-creg).`
      : '';
    throw new TrustInputError(`No registry Service of release "${release}" in ${where} (labels ${selector}). Check the release name and namespace (helm list --all-namespaces) and pass -n NAMESPACE.${afterUninstall}`);
  }
  if (items.length > 1) {
    throw new TrustInputError(`Release "${release}" has ${items.length} Services labelled as its registry (${items.map((s) => s.metadata?.name).join(', ')}); expected one.`);
  }
  const svc = items[0];
  // Everything below comes from objects in the cluster, which anyone allowed to
  // edit them controls: each is checked before it is used.
  const service = clusterName(svc.metadata?.name, 'the Service name', DNS_LABEL);
  const namespace = clusterName(svc.metadata?.namespace ?? opts.namespace ?? 'default', `the namespace of Service ${service}`, DNS_LABEL);
  const ip: unknown = svc.spec?.clusterIP;
  if (!ip || ip === 'None') {
    throw new TrustInputError(`Service ${namespace}/${service} has no ClusterIP (${typeof ip === 'string' ? ip : 'none'}); the registry Service must be type ClusterIP.`);
  }
  if (typeof ip !== 'string' || isIP(ip) === 0) {
    throw new TrustInputError(`Service ${namespace}/${service}: spec.clusterIP ${JSON.stringify(ip).slice(0, 80)} is not an IP address; refusing to trust it.`);
  }
  const ports: any[] = svc.spec?.ports ?? [];
  const port = (ports.find((p) => p.name === 'https') ?? ports[0])?.port;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) throw new TrustInputError(`Service ${namespace}/${service} has no valid port.`);
  const address = formatAddress(ip, port);
  const annotated: unknown = svc.metadata?.annotations?.[CA_CONFIGMAP_ANNOTATION];
  const configMap = annotated
    ? clusterName(annotated, `the annotation ${CA_CONFIGMAP_ANNOTATION} of Service ${namespace}/${service}`, DNS_SUBDOMAIN)
    : `${chartFullname(release)}-ca`;
  const owner = `${namespace}/${configMap.replace(/-ca$/, '')}`;
  const annotations: Record<string, string> = svc.metadata?.annotations ?? {};
  if (opts.serviceOnly) return { namespace, service, configMap, owner, address, caPem: '', kubectl, commands, annotations };

  const cm = await get(`get configmap ${configMap}`, [`--namespace=${namespace}`], ['configmap', configMap]);
  if (!cm.ok) {
    if (/NotFound|not found/i.test(cm.stderr)) {
      throw new TrustInputError(
        `ConfigMap ${namespace}/${configMap} (the registry's CA certificate) does not exist yet: the signer hook publishes it after install/upgrade. Check kubectl -n ${namespace} get jobs,pods and kubectl -n ${namespace} logs job/${configMap.replace(/-ca$/, '')}-signer, then run helm upgrade to run the hook again.`,
      );
    }
    throw new TrustInputError(explainKubectlFailure(`get configmap ${configMap}`, cm.stderr, { ...opts, namespace }));
  }
  const caPem: string | undefined = cm.json?.data?.['ca.crt'];
  if (!caPem) throw new TrustInputError(`ConfigMap ${namespace}/${configMap} has no key ca.crt; run helm upgrade so the signer hook publishes the CA again.`);
  checkCaPem(caPem, `ConfigMap ${namespace}/${configMap} key ca.crt`);
  return { namespace, service, configMap, owner, address, caPem, kubectl, commands, annotations };
}

/** The Secret with the generated push user of a release's registry (auth.enabled; the signer makes it). */
export function pushSecretName(owner: string): string {
  return `${owner.slice(owner.indexOf('/') + 1)}-push`;
}

/**
 * `docker login` guidance for a release whose registry requires credentials: the password goes from
 * the push Secret through a pipe into --password-stdin, never onto a command line or the screen.
 */
export function loginGuidance(t: { namespace: string; owner: string; address: { address: string } }, opts: KubectlOptions): string[] {
  const base = ['kubectl', ...(opts.kubeconfig ? ['--kubeconfig', opts.kubeconfig] : []), ...(opts.kubeContext ? ['--context', opts.kubeContext] : [])];
  const secret = pushSecretName(t.owner);
  const field = (key: string) => `${[...base, '-n', t.namespace, 'get', 'secret', secret, '-o', `jsonpath={.data.${key}}`].map(shellWord).join(' ')} | base64 -d`;
  return [
    `If the registry requires credentials (auth.enabled), log in as its push user; the password goes through a pipe, never onto the screen or a command line:`,
    `  ${field('password')} | docker login ${t.address.address} --username "$(${field('username')})" --password-stdin`,
    `(podman/skopeo/helm: the same pipe into "podman login", "skopeo login" or "helm registry login" with --password-stdin; creg-chart trust --release ... --show-password prints the credentials.)`,
  ];
}

/** Reads the push user's credentials (for --show-password only). */
export async function readPushCredentials(t: { namespace: string; owner: string; kubectl: string }, opts: KubectlOptions): Promise<{ username: string; password: string }> {
  const secret = pushSecretName(t.owner);
  const args = [...(opts.kubeconfig ? ['--kubeconfig', opts.kubeconfig] : []), ...(opts.kubeContext ? ['--context', opts.kubeContext] : []), '-n', t.namespace, 'get', 'secret', secret, '--output', 'json'];
  const r = await runKubectl(t.kubectl, args);
  if (r.code !== 0) {
    if (/NotFound|not found/i.test(r.stderr)) {
      throw new TrustInputError(`Secret ${t.namespace}/${secret} does not exist: the registry has no generated push user (auth.enabled is off, auth.existingSecret is used, or the signer hook has not run yet).`);
    }
    throw new TrustInputError(explainKubectlFailure(`get secret ${secret}`, r.stderr, { ...opts, namespace: t.namespace }).replace(' (not on Secrets)', ' (--show-password needs "get" on the push Secret)'));
  }
  let data: Record<string, string> = {};
  try {
    data = JSON.parse(r.stdout)?.data ?? {};
  } catch {
    throw new TrustInputError(`kubectl printed something that is not JSON when asked to get secret ${secret}.`);
  }
  const dec = (k: string) => Buffer.from(data[k] ?? '', 'base64').toString('utf8');
  if (!data.username || !data.password) throw new TrustInputError(`Secret ${t.namespace}/${secret} has no username/password keys; delete it and run helm upgrade to have the push user made again.`);
  return { username: dec('username'), password: dec('password') };
}
