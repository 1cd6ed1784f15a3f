// Pure decision logic of the in-cluster signer: no I/O, unit-tested in test/signer-logic.test.mjs.
import { certificateMismatch, keyMatchesCertificate } from '../pki/certs.js';
import { normalizeDnsName } from '../pki/validate.js';

/** Pod template annotation carrying a hash of the chart values (set by the chart). */
export const VALUES_HASH_ANNOTATION = 'creg-chart/values-hash';
/** TLS Secret annotations written by the signer. */
export const CERT_SHA_ANNOTATION = 'creg-chart/cert-sha256';
export const ISSUED_AT_ANNOTATION = 'creg-chart/issued-at';
/** Set on the TLS Secret once every registry pod was restarted onto the certificate with this sha256. */
/** On the TLS Secret: sha256 of the htpasswd file (auth on) and when the signer first saw it. */
export const HTPASSWD_SHA_ANNOTATION = 'creg-chart/htpasswd-sha256';
export const HTPASSWD_SEEN_ANNOTATION = 'creg-chart/htpasswd-seen-at';
export const ROLLED_OUT_ANNOTATION = 'creg-chart/rolled-out-sha256';
/** Re-sign when fewer days than this remain. */
export const MIN_REMAINING_DAYS = 30;

export type WorkloadKind = 'ReplicationController' | 'Deployment';

export interface InClusterConfig {
  namespace: string;
  serviceName: string;
  caSecret: string;
  /** Secret pinning what the ConfigMap publishes (CA sha256, ClusterIP) for node trust; empty: none. */
  caPinSecret: string;
  /** True: caSecret is the operator's own CA (tls.existingCaSecret), read and never written. */
  caSecretExisting: boolean;
  /** ConfigMap that publishes the CA certificate (key ca.crt) for the node trust DaemonSet and `creg-chart trust`; empty: not published. */
  caConfigMap: string;
  tlsSecret: string;
  workloadKind: WorkloadKind;
  workloadName: string;
  podSelector: string;
  extraDnsNames: string[];
  clusterDomain: string;
  certValidityDays: number;
  caValidityDays: number;
  readyTimeoutSeconds: number;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/** Parses `k=v,k=v` into a map; throws ConfigError on anything else (set-based selectors are not accepted). */
export function parseSelector(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new ConfigError('POD_SELECTOR is empty; set it to the registry pod labels as k=v,k=v.');
  for (const p of parts) {
    const m = /^([^=!]+)==?([^=]*)$/.exec(p);
    if (!m || !LABEL_KEY.test(m[1].trim()) || !LABEL_VALUE.test(m[2].trim())) {
      throw new ConfigError(`POD_SELECTOR part ${JSON.stringify(p)} is not a label k=v pair; use k=v,k=v.`);
    }
    out[m[1].trim()] = m[2].trim();
  }
  return out;
}

/** The selector map in the API's `labelSelector` syntax. */
export function selectorString(sel: Record<string, string>): string {
  return Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(',');
}

function intFrom(env: Record<string, string | undefined>, name: string, dflt: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}=${JSON.stringify(raw)} must be a whole number between ${min} and ${max}.`);
  }
  return n;
}

/** Reads and checks the in-cluster mode's environment. `saNamespace` is the service account's namespace file content, if any. */
export function readInClusterConfig(env: Record<string, string | undefined>, saNamespace?: string): InClusterConfig {
  const missing = ['SERVICE_NAME', 'CA_STORE', 'TLS_STORE', 'WORKLOAD_KIND', 'WORKLOAD_NAME', 'POD_SELECTOR'].filter(
    (n) => !env[n] || !env[n]!.trim(),
  );
  const namespace = (env.POD_NAMESPACE || saNamespace || '').trim();
  if (!namespace) missing.unshift('POD_NAMESPACE');
  if (missing.length) {
    throw new ConfigError(`Missing environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')}; the hook Job's pod spec must set ${missing.length > 1 ? 'them' : 'it'}.`);
  }
  const get = (n: string) => env[n]!.trim();
  for (const n of ['SERVICE_NAME', 'CA_STORE', 'TLS_STORE', 'WORKLOAD_NAME']) {
    if (!K8S_NAME.test(get(n)) || get(n).length > 253) throw new ConfigError(`${n}=${JSON.stringify(get(n))} is not a valid Kubernetes object name.`);
  }
  const caConfigMap = (env.CA_CONFIGMAP ?? '').trim();
  if (caConfigMap && (!K8S_NAME.test(caConfigMap) || caConfigMap.length > 253)) {
    throw new ConfigError(`CA_CONFIGMAP=${JSON.stringify(caConfigMap)} is not a valid Kubernetes object name.`);
  }
  const caPinSecret = (env.CA_PIN_SECRET ?? '').trim();
  if (caPinSecret && (!K8S_NAME.test(caPinSecret) || caPinSecret.length > 253)) {
    throw new ConfigError(`CA_PIN_SECRET=${JSON.stringify(caPinSecret)} is not a valid Kubernetes object name.`);
  }
  const kind = get('WORKLOAD_KIND');
  if (kind !== 'ReplicationController' && kind !== 'Deployment') {
    throw new ConfigError(`WORKLOAD_KIND=${JSON.stringify(kind)} must be ReplicationController or Deployment.`);
  }
  parseSelector(get('POD_SELECTOR'));
  const clusterDomain = (env.CLUSTER_DOMAIN || 'cluster.local').trim();
  normalizeDnsName(clusterDomain, 'CLUSTER_DOMAIN');
  const extraDnsNames = (env.DNS_NAMES || '')
    .split(/[,\s]+/)
    .filter(Boolean)
    .map((d) => normalizeDnsName(d, 'DNS_NAMES entry'));
  return {
    namespace,
    serviceName: get('SERVICE_NAME'),
    caSecret: get('CA_STORE'),
    caSecretExisting: (env.CA_SECRET_EXISTING ?? '').trim() === 'true',
    caPinSecret,
    caConfigMap,
    tlsSecret: get('TLS_STORE'),
    workloadKind: kind,
    workloadName: get('WORKLOAD_NAME'),
    podSelector: get('POD_SELECTOR'),
    extraDnsNames,
    clusterDomain: clusterDomain.replace(/\.$/, '').toLowerCase(),
    certValidityDays: intFrom(env, 'CERT_VALIDITY_DAYS', 365, MIN_REMAINING_DAYS + 1, 36500),
    caValidityDays: intFrom(env, 'CA_VALIDITY_DAYS', 3650, 1, 36500),
    readyTimeoutSeconds: intFrom(env, 'READY_TIMEOUT_SECONDS', 240, 1, 86400),
  };
}

/** The Service's in-cluster DNS names plus extras, de-duplicated, in a stable order. */
export function serviceDnsNames(service: string, namespace: string, clusterDomain: string, extra: readonly string[] = []): string[] {
  const names = [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.${clusterDomain}`, ...extra];
  return [...new Set(names.map((n) => normalizeDnsName(n)))];
}

/** The IPs to sign for from a Service object: its ClusterIP(s). Throws for headless or IP-less Services. */
export function serviceClusterIps(service: { spec?: { clusterIP?: string; clusterIPs?: string[] } }, name: string): string[] {
  const spec = service.spec ?? {};
  const ips = [...new Set([...(spec.clusterIPs ?? []), ...(spec.clusterIP ? [spec.clusterIP] : [])])].filter((ip) => ip && ip !== 'None');
  if (ips.length === 0) {
    throw new ConfigError(`Service ${name} has no ClusterIP (headless or not yet allocated); the registry Service must be type ClusterIP.`);
  }
  return ips;
}

/** The Service env hint (`<SVC>_SERVICE_HOST`) a pod receives; may lag behind the API (kubernetes#127463). */
export function serviceHostEnvName(service: string): string {
  return `${service.toUpperCase().replace(/-/g, '_')}_SERVICE_HOST`;
}

export interface TlsSecretState {
  certPem?: string;
  keyPem?: string;
  caPem?: string;
}

export type TlsDecision =
  | { action: 'sign'; reason: string }
  | { action: 'update-ca'; reason: string }
  | { action: 'keep'; reason: string };

/**
 * Whether the TLS Secret's certificate must be (re)signed: missing, key not matching, not signed by the CA,
 * other SANs, or expiring within `minRemainingDays`. `update-ca` when only its ca.crt copy is stale.
 */
export function decideTls(args: {
  current: TlsSecretState | null;
  caCertPem: string;
  ips: readonly string[];
  dnsNames: readonly string[];
  minRemainingDays?: number;
  now?: Date;
}): TlsDecision {
  const cur = args.current;
  if (!cur) return { action: 'sign', reason: 'the TLS Secret does not exist yet' };
  if (!cur.certPem || !cur.keyPem) return { action: 'sign', reason: 'the TLS Secret lacks tls.crt or tls.key' };
  if (!keyMatchesCertificate(cur.certPem, cur.keyPem)) return { action: 'sign', reason: 'tls.key does not belong to tls.crt' };
  const why = certificateMismatch(cur.certPem, args.caCertPem, {
    ips: args.ips,
    dnsNames: args.dnsNames,
    minRemainingDays: args.minRemainingDays ?? MIN_REMAINING_DAYS,
    now: args.now,
  });
  if (why) return { action: 'sign', reason: why };
  if ((cur.caPem ?? '').trim() !== args.caCertPem.trim()) {
    return { action: 'update-ca', reason: 'the certificate is current but the Secret\'s ca.crt copy differs from the CA' };
  }
  return { action: 'keep', reason: 'the certificate is current (right CA, SANs and validity)' };
}

export interface PodInfo {
  name: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  annotations?: Record<string, string>;
  ready?: boolean;
}

export interface RecycleStep {
  pod: string;
  reason: string;
}

/**
 * Which registry pods to delete (one at a time, by the caller) so that their controller recreates them:
 * - when `certRollout` is set (the certificate changed now, or an earlier rollout did not finish),
 *   pods created no later than `certIssuedAt` (they still serve the previous or bootstrap certificate);
 * - for ReplicationControllers, pods whose `creg-chart/values-hash` differs from the template's
 *   (Deployments roll their pods themselves).
 * Pods already terminating are skipped. Not-ready pods go first, so a ready one is never removed
 * while a broken one remains. Order is otherwise by name (stable).
 */
export function planRecycle(args: {
  pods: readonly PodInfo[];
  workloadKind: WorkloadKind;
  templateValuesHash?: string;
  certRollout: boolean;
  certIssuedAt?: Date;
}): RecycleStep[] {
  const steps: (RecycleStep & { ready: boolean })[] = [];
  const issuedSec = args.certIssuedAt ? Math.floor(args.certIssuedAt.getTime() / 1000) : undefined;
  for (const p of args.pods) {
    if (p.deletionTimestamp) continue;
    const reasons: string[] = [];
    if (args.certRollout) {
      const created = p.creationTimestamp ? Math.floor(Date.parse(p.creationTimestamp) / 1000) : NaN;
      // creationTimestamp has one-second precision: a pod from the same second is treated as stale
      if (issuedSec === undefined || Number.isNaN(created) || created <= issuedSec) {
        reasons.push('it serves the previous certificate');
      }
    }
    if (args.workloadKind === 'ReplicationController' && args.templateValuesHash) {
      const have = p.annotations?.[VALUES_HASH_ANNOTATION];
      if (have !== args.templateValuesHash) {
        reasons.push(`its ${VALUES_HASH_ANNOTATION} ${have ? have.slice(0, 12) : '(none)'} differs from the ReplicationController template's ${args.templateValuesHash.slice(0, 12)}`);
      }
    }
    if (reasons.length) steps.push({ pod: p.name, reason: reasons.join('; '), ready: p.ready === true });
  }
  steps.sort((a, b) => Number(a.ready) - Number(b.ready) || a.pod.localeCompare(b.pod));
  return steps.map(({ pod, reason }) => ({ pod, reason }));
}

/** Whether registry pods still have to be moved onto the current certificate. */
export function certRolloutNeeded(certChanged: boolean, currentSha: string, rolledOutSha: string | undefined): boolean {
  return certChanged || rolledOutSha !== currentSha;
}

/** A pod is ready when its Ready condition is True. */
export function podIsReady(pod: { status?: { conditions?: { type: string; status: string }[] } }): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Label the signer puts on what it creates; also how it recognises its own ConfigMap. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_SIGNER = 'creg-chart-signer';
/** The CA ConfigMap's keys: the CA certificate, and the Service's ClusterIP as the API reports it. */
export const CA_CONFIGMAP_KEY = 'ca.crt';
export const CLUSTER_IP_KEY = 'cluster-ip';

export interface ConfigMapState {
  metadata?: { labels?: Record<string, string> };
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export type CaConfigMapDecision =
  | { action: 'create'; reason: string }
  | { action: 'update'; reason: string }
  | { action: 'keep'; reason: string }
  | { action: 'refuse'; reason: string };

/**
 * The CA ConfigMap's data: the CA certificate (never the key) and the Service's primary ClusterIP.
 * The node trust DaemonSet mounts it: the ClusterIP from here follows a re-created Service, which the
 * Service env of an already running pod (or a lagging kubelet cache, kubernetes#127463) would not.
 */
export function caConfigMapData(caCertPem: string, clusterIp: string): Record<string, string> {
  return { [CA_CONFIGMAP_KEY]: caCertPem, [CLUSTER_IP_KEY]: clusterIp };
}

/**
 * What to do with the ConfigMap that publishes the CA certificate: create it when missing, update it when
 * its data differs from `want` in any way (another CA, another ClusterIP, a missing key, or any extra key:
 * a ConfigMap is readable by many, it holds exactly `want`), keep it when it is exactly right (a second run
 * changes nothing), refuse when a ConfigMap of that name exists that the signer did not make (it is not
 * ours to overwrite).
 */
export function decideCaConfigMap(current: ConfigMapState | null, want: Record<string, string>, name = 'the CA ConfigMap'): CaConfigMapDecision {
  if (!current) return { action: 'create', reason: `${name} does not exist yet` };
  if (current.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_SIGNER) {
    return {
      action: 'refuse',
      reason: `ConfigMap ${name} exists but was not made by the creg-chart signer (label ${MANAGED_BY_LABEL}=${MANAGED_BY_SIGNER} missing); delete it or rename this release so the signer can publish the CA there`,
    };
  }
  const have = current.data ?? {};
  const extra = [...Object.keys(have).filter((k) => !(k in want)), ...Object.keys(current.binaryData ?? {})];
  if (extra.length) return { action: 'update', reason: `${name} holds other keys (${extra.join(', ')}); publishing ${Object.keys(want).join(' and ')} only` };
  for (const [key, value] of Object.entries(want)) {
    if (have[key] === undefined) return { action: 'update', reason: `${name} has no ${key}` };
    if (have[key] !== value) {
      return { action: 'update', reason: key === CA_CONFIGMAP_KEY ? `${name}'s ${key} differs from the CA in the CA Secret` : `${name}'s ${key} ${have[key]} differs from ${value}` };
    }
  }
  return { action: 'keep', reason: `${name} already publishes this CA and ClusterIP` };
}

type ContainerState = {
  waiting?: { reason?: string; message?: string };
  terminated?: { reason?: string; exitCode?: number; message?: string };
  running?: unknown;
};
type ContainerStatus = { name: string; ready?: boolean; restartCount?: number; state?: ContainerState; lastState?: ContainerState };
export interface PodStatusView {
  metadata?: { name?: string; deletionTimestamp?: string };
  spec?: { nodeName?: string };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    initContainerStatuses?: ContainerStatus[];
    containerStatuses?: ContainerStatus[];
  };
}

function stateText(s: ContainerState | undefined): string | undefined {
  if (s?.waiting) return `waiting: ${s.waiting.reason ?? 'unknown reason'}${s.waiting.message ? ` (${s.waiting.message.trim().split('\n')[0]})` : ''}`;
  if (s?.terminated) {
    const t = s.terminated;
    return `terminated: ${t.reason ?? 'exit'} exit code ${t.exitCode ?? '?'}${t.message ? ` (${t.message.trim().split('\n').slice(-1)[0]})` : ''}`;
  }
  return undefined;
}

/**
 * One line saying why a registry pod is not ready, from what kubelet reports:
 * "pod x on node n: Init:Error (init container nas-guard terminated: Error exit code 1 ...)".
 */
export function describePodNotReady(pod: PodStatusView): string {
  const name = pod.metadata?.name ?? '(unnamed)';
  const where = pod.spec?.nodeName ? ` on node ${pod.spec.nodeName}` : ' (not scheduled)';
  const st = pod.status ?? {};
  const reasons: string[] = [];
  for (const c of st.initContainerStatuses ?? []) {
    if (c.state?.terminated && c.state.terminated.exitCode === 0) continue;
    if (c.state?.running) { reasons.push(`init container ${c.name} running`); continue; }
    const now = stateText(c.state);
    const last = c.restartCount ? stateText(c.lastState) : undefined;
    if (now || last) reasons.push(`init container ${c.name} ${now ?? ''}${last ? `${now ? '; ' : ''}last ${last}` : ''}${c.restartCount ? `, ${c.restartCount} restarts` : ''}`);
  }
  for (const c of st.containerStatuses ?? []) {
    if (c.ready) continue;
    const now = stateText(c.state) ?? (c.state?.running ? 'running, not ready (readiness probe)' : undefined);
    const last = c.restartCount ? stateText(c.lastState) : undefined;
    reasons.push(`container ${c.name} ${now ?? 'not ready'}${last ? `; last ${last}` : ''}${c.restartCount ? `, ${c.restartCount} restarts` : ''}`);
  }
  if (reasons.length === 0) {
    const cond = (st.conditions ?? []).find((c) => c.status !== 'True' && (c.reason || c.message));
    if (cond) reasons.push(`${cond.type}: ${cond.reason ?? ''}${cond.message ? ` ${cond.message}` : ''}`.trim());
    else if (st.reason || st.message) reasons.push(`${st.reason ?? ''} ${st.message ?? ''}`.trim());
    else reasons.push('no container status yet');
  }
  return `pod ${name}${where}, phase ${st.phase ?? 'unknown'}: ${reasons.map((r) => r.replace(/[.\s]+$/, '')).join('; ')}`;
}
