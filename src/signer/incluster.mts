// The post-install/post-upgrade/post-rollback hook: sign the registry certificate for the Service's ClusterIP.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type CertAndKey, assertUsableCa, createCertificateAuthority, describeCertificate, signServerCertificate } from '../pki/certs.js';
import { normalizeIp } from '../pki/validate.js';
import {
  CERT_SHA_ANNOTATION,
  ISSUED_AT_ANNOTATION,
  type InClusterConfig,
  type PodInfo,
  ROLLED_OUT_ANNOTATION,
  VALUES_HASH_ANNOTATION,
  type ConfigMapState,
  MANAGED_BY_LABEL,
  MANAGED_BY_SIGNER,
  caConfigMapData,
  certRolloutNeeded,
  decideCaConfigMap,
  describePodNotReady,
  decideTls,
  planRecycle,
  podIsReady,
  readInClusterConfig,
  serviceClusterIps,
  serviceDnsNames,
  serviceHostEnvName,
} from './decide.mjs';
import { KubeApiError, KubeClient, SA_DIR } from './kube.mjs';

type Log = (line: string) => void;
type Secret = {
  apiVersion?: string;
  kind?: string;
  type?: string;
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
};

const MANAGED_BY = { [MANAGED_BY_LABEL]: MANAGED_BY_SIGNER };
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** sha256 of the certificate's DER, lower-case hex without colons. */
export function certSha256(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256.replace(/:/g, '').toLowerCase();
}

async function getOrCreateCa(kube: KubeClient, cfg: InClusterConfig, log: Log): Promise<CertAndKey> {
  const ns = cfg.namespace;
  let secret = (await kube.getSecret(ns, cfg.caSecret)) as Secret | null;
  if (!secret) {
    const ca = createCertificateAuthority({ commonName: `creg-chart CA ${ns}/${cfg.serviceName}`, validityDays: cfg.caValidityDays });
    const body: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: cfg.caSecret,
        labels: { ...MANAGED_BY },
        annotations: {
          'creg-chart/note': 'Registry CA made by the creg-chart signer; kept after helm uninstall. Deleting it creates a new CA that every client must trust again.',
        },
      },
      data: { 'ca.crt': b64(ca.certPem), 'ca.key': b64(ca.keyPem) },
    };
    try {
      await kube.createSecret(ns, body);
      const info = describeCertificate(ca.certPem);
      log(`created CA Secret ${cfg.caSecret} (valid until ${info.notAfter.toISOString()}, sha256 ${certSha256(ca.certPem).slice(0, 16)}…)`);
      return ca;
    } catch (e) {
      if (!(e instanceof KubeApiError && e.status === 409)) throw e;
      log(`CA Secret ${cfg.caSecret} was created concurrently; using that one`);
      secret = (await kube.getSecret(ns, cfg.caSecret)) as Secret | null;
      if (!secret) throw new Error(`CA Secret ${cfg.caSecret} vanished right after a create conflict; run the hook again.`);
    }
  }
  const ca = { certPem: unb64(secret.data?.['ca.crt']) ?? '', keyPem: unb64(secret.data?.['ca.key']) ?? '' };
  try {
    if (!ca.certPem || !ca.keyPem) throw new Error('it lacks ca.crt or ca.key.');
    assertUsableCa(ca);
  } catch (e) {
    throw new Error(
      `Secret ${cfg.caSecret} holds no usable CA: ${(e as Error).message} Fix it, or delete it (kubectl -n ${ns} delete secret ${cfg.caSecret}) to have a new CA made; clients must then trust the new ca.crt.`,
    );
  }
  const info = describeCertificate(ca.certPem);
  log(`reusing CA Secret ${cfg.caSecret} (valid until ${info.notAfter.toISOString()}, sha256 ${certSha256(ca.certPem).slice(0, 16)}…)`);
  const daysLeft = (info.notAfter.getTime() - Date.now()) / 86_400_000;
  if (daysLeft < cfg.certValidityDays) {
    log(`warning: the CA expires in ${Math.floor(daysLeft)} days; server certificates end with it. Plan a new CA (delete Secret ${cfg.caSecret}) and redistribute ca.crt.`);
  }
  return ca;
}

type ConfigMap = ConfigMapState & {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
};

/**
 * Publishes the CA certificate (never its key) and the primary ClusterIP in a ConfigMap (keys ca.crt,
 * cluster-ip) for the node trust DaemonSet
 * and `creg-chart trust`. Writes only when decideCaConfigMap says so: a second run changes nothing.
 */
async function publishCaCertificate(kube: KubeClient, cfg: InClusterConfig, caCertPem: string, clusterIp: string, log: Log): Promise<void> {
  const ns = cfg.namespace;
  const name = cfg.caConfigMap;
  if (!name) {
    log('CA_CONFIGMAP is not set: not publishing the CA certificate (node trust and `creg-chart trust --release` need it)');
    return;
  }
  const current = (await kube.getConfigMap(ns, name)) as ConfigMap | null;
  const want = caConfigMapData(caCertPem, clusterIp);
  const decision = decideCaConfigMap(current, want, name);
  if (decision.action === 'keep') {
    log(`keeping ConfigMap ${name}: ${decision.reason}`);
    return;
  }
  if (decision.action === 'refuse') {
    throw new Error(`${decision.reason}.`);
  }
  log(`${decision.action === 'create' ? 'creating' : 'updating'} ConfigMap ${name} (CA certificate only): ${decision.reason}`);
  const body: ConfigMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      labels: { ...(current?.metadata.labels ?? {}), ...MANAGED_BY },
      annotations: {
        ...(current?.metadata.annotations ?? {}),
        'creg-chart/note': `The registry's CA certificate (public) and the Service's ClusterIP, copied from Secret ${cfg.caSecret} by the creg-chart signer; read by the node trust DaemonSet and creg-chart trust. Kept after helm uninstall like the CA.`,
      },
      ...(current?.metadata.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
    },
    data: want,
  };
  try {
    if (current) await kube.replaceConfigMap(ns, body);
    else await kube.createConfigMap(ns, body);
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 409) {
      throw new Error(`ConfigMap ${name} was ${current ? 'changed' : 'created'} by someone else while the signer ran (409 Conflict); run the hook again (helm upgrade).`);
    }
    throw e;
  }
  log(`${current ? 'updated' : 'created'} ConfigMap ${name}`);
}

function toPodInfo(p: any): PodInfo {
  return {
    name: p.metadata?.name,
    creationTimestamp: p.metadata?.creationTimestamp,
    deletionTimestamp: p.metadata?.deletionTimestamp,
    annotations: p.metadata?.annotations ?? {},
    ready: podIsReady(p),
  };
}

/**
 * Waits until `desired` registry pods (not terminating, not `exclude`) are
 * ready, within READY_TIMEOUT_SECONDS; otherwise fails with every pod that is
 * not ready and why (kubelet's container states).
 */
async function waitForReadyPods(
  kube: KubeClient,
  cfg: InClusterConfig,
  desired: number,
  log: Log,
  { exclude, after }: { exclude?: string; after: string },
): Promise<void> {
  const ns = cfg.namespace;
  const deadline = Date.now() + cfg.readyTimeoutSeconds * 1000;
  let announced = false;
  for (;;) {
    const items: any[] = ((await kube.listPods(ns, cfg.podSelector))?.items ?? [])
      .filter((p: any) => !p.metadata?.deletionTimestamp && p.metadata?.name !== exclude);
    const ready = items.filter((p) => podIsReady(p));
    if (ready.length >= desired) {
      log(`${ready.length} of ${desired} registry pod(s) ready`);
      return;
    }
    if (Date.now() > deadline) {
      const notReady = items.filter((p) => !podIsReady(p)).map((p) => describePodNotReady(p));
      throw new Error(
        `${after}only ${ready.length} of ${desired} registry pods became ready within ${cfg.readyTimeoutSeconds}s`
          + `${notReady.length ? `: ${notReady.join('; ')}` : ` (${items.length} pods exist with ${cfg.podSelector})`}`
          + `. Check kubectl -n ${ns} describe pods -l ${cfg.podSelector} (NFS mount, image pull, node label), fix it, then run the hook again (helm upgrade).`,
      );
    }
    if (!announced) {
      log(`waiting up to ${cfg.readyTimeoutSeconds}s for ${desired} ready registry pod(s) (${ready.length} ready now)`);
      announced = true;
    }
    await sleep(2000);
  }
}

/** Runs the hook's steps once. Idempotent: with nothing changed it only reads. */
export async function runInCluster(env: Record<string, string | undefined>, log: Log): Promise<void> {
  let saNamespace: string | undefined;
  try {
    saNamespace = readFileSync(`${SA_DIR}/namespace`, 'utf8').trim();
  } catch {
    saNamespace = undefined;
  }
  const cfg = readInClusterConfig(env, saNamespace);
  const kube = KubeClient.fromEnvironment(env);
  const ns = cfg.namespace;
  log(`namespace ${ns}; Service ${cfg.serviceName}; ${cfg.workloadKind} ${cfg.workloadName}; API ${kube.apiUrl.origin}`);

  // 1. the ClusterIP, from the API (the env hint may lag)
  const service = await kube.getService(ns, cfg.serviceName);
  const ips = serviceClusterIps(service, cfg.serviceName).map((ip) => normalizeIp(ip, `Service ${cfg.serviceName} ClusterIP`));
  const hintName = serviceHostEnvName(cfg.serviceName);
  const hint = env[hintName];
  if (hint && !ips.includes(normalizeIp(hint, hintName))) {
    log(`note: ${hintName}=${hint} differs from the API's ClusterIP ${ips.join(', ')} (stale kubelet cache); using the API's`);
  }
  const dnsNames = serviceDnsNames(cfg.serviceName, ns, cfg.clusterDomain, cfg.extraDnsNames);
  log(`wanted SANs: IP ${ips.join(', ')}; DNS ${dnsNames.join(', ')}`);

  // 2. the CA
  const ca = await getOrCreateCa(kube, cfg, log);

  // 2b. publish the CA certificate for node and client trust (before registry pods restart onto it)
  await publishCaCertificate(kube, cfg, ca.certPem, ips[0], log);

  // 3. the server certificate
  let tls = (await kube.getSecret(ns, cfg.tlsSecret)) as Secret | null;
  if (tls && tls.type && tls.type !== 'kubernetes.io/tls') {
    throw new Error(`Secret ${cfg.tlsSecret} has type ${tls.type}, not kubernetes.io/tls (the type cannot be changed); delete it (kubectl -n ${ns} delete secret ${cfg.tlsSecret}) and run the hook again.`);
  }
  const current = tls
    ? { certPem: unb64(tls.data?.['tls.crt']), keyPem: unb64(tls.data?.['tls.key']), caPem: unb64(tls.data?.['ca.crt']) }
    : null;
  const decision = decideTls({ current, caCertPem: ca.certPem, ips, dnsNames });
  let certChanged = false;
  if (decision.action === 'keep') {
    log(`keeping the certificate in Secret ${cfg.tlsSecret}: ${decision.reason}`);
  } else {
    const annotations = { ...(tls?.metadata.annotations ?? {}) };
    let data: Record<string, string>;
    if (decision.action === 'sign') {
      log(`signing a new certificate: ${decision.reason}`);
      const server = signServerCertificate({ ca, ips, dnsNames, validityDays: cfg.certValidityDays });
      data = { 'tls.crt': b64(server.certPem), 'tls.key': b64(server.keyPem), 'ca.crt': b64(ca.certPem) };
      annotations[CERT_SHA_ANNOTATION] = certSha256(server.certPem);
      annotations[ISSUED_AT_ANNOTATION] = new Date().toISOString();
      const info = describeCertificate(server.certPem);
      log(`signed serial ${info.serialNumber}, valid until ${info.notAfter.toISOString()}, sha256 ${annotations[CERT_SHA_ANNOTATION].slice(0, 16)}…`);
      certChanged = true;
    } else {
      log(`updating ca.crt in Secret ${cfg.tlsSecret}: ${decision.reason}`);
      data = { ...(tls!.data ?? {}), 'ca.crt': b64(ca.certPem) };
    }
    const body: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: {
        name: cfg.tlsSecret,
        labels: { ...(tls?.metadata.labels ?? {}), ...MANAGED_BY },
        annotations,
        ...(tls?.metadata.resourceVersion ? { resourceVersion: tls.metadata.resourceVersion } : {}),
      },
      data,
    };
    try {
      tls = (tls ? await kube.replaceSecret(ns, body) : await kube.createSecret(ns, body)) as Secret;
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 409) {
        throw new Error(`Secret ${cfg.tlsSecret} was changed by someone else while the signer ran (409 Conflict); run the hook again (helm upgrade).`);
      }
      throw e;
    }
    log(`${current ? 'updated' : 'created'} Secret ${cfg.tlsSecret}`);
  }
  const certPem = unb64(tls!.data?.['tls.crt'])!;
  const sha = certSha256(certPem);
  const tlsAnnotations = tls!.metadata.annotations ?? {};

  // 4. registry pods
  const workload = await kube.getWorkload(ns, cfg.workloadKind, cfg.workloadName);
  const templateHash: string | undefined = workload?.spec?.template?.metadata?.annotations?.[VALUES_HASH_ANNOTATION];
  const desired: number = typeof workload?.spec?.replicas === 'number' ? workload.spec.replicas : 1;
  const rollout = certRolloutNeeded(certChanged, sha, tlsAnnotations[ROLLED_OUT_ANNOTATION]);
  if (rollout && !certChanged) log('an earlier certificate rollout did not finish; restarting the pods it left behind');
  const issuedRaw = tlsAnnotations[ISSUED_AT_ANNOTATION];
  const issuedAt = issuedRaw && !Number.isNaN(Date.parse(issuedRaw)) ? new Date(issuedRaw) : undefined;
  const pods = ((await kube.listPods(ns, cfg.podSelector))?.items ?? []).map(toPodInfo);
  const steps = planRecycle({ pods, workloadKind: cfg.workloadKind, templateValuesHash: templateHash, certRollout: rollout, certIssuedAt: issuedAt });
  if (steps.length === 0) log(`no registry pod needs a restart (${pods.length} found with ${cfg.podSelector})`);
  // Every wait is for the DESIRED number of ready pods: under Helm 4's default
  // --wait (kstatus, no rule for ReplicationControllers) this hook is the only
  // thing that fails an install or upgrade whose registry never becomes ready.
  for (const [i, step] of steps.entries()) {
    log(`restarting pod ${step.pod} (${i + 1}/${steps.length}): ${step.reason}`);
    await kube.deletePod(ns, step.pod);
    await waitForReadyPods(kube, cfg, desired, log, { exclude: step.pod, after: `After deleting pod ${step.pod}, ` });
  }
  if (steps.length === 0) await waitForReadyPods(kube, cfg, desired, log, { after: '' });
  if (rollout) {
    const fresh = (await kube.getSecret(ns, cfg.tlsSecret)) as Secret | null;
    if (fresh) {
      fresh.metadata.annotations = { ...(fresh.metadata.annotations ?? {}), [ROLLED_OUT_ANNOTATION]: sha };
      await kube.replaceSecret(ns, fresh);
      log(`recorded that every registry pod now serves certificate sha256 ${sha.slice(0, 16)}…`);
    }
  }
  log('done');
}
