// Discovery (KEP-1755 "communicating a local registry"): ConfigMap kube-public/local-registry-hosting,
// published by the signer once the Service's ClusterIP is known and kept current when it changes.
// Tools that follow the KEP (Tilt, ctlptl, kind-style scripts) read `localRegistryHosting.v1` from it.
// Optional (DISCOVERY=true from discovery.enabled); its RBAC is a Role in kube-public (chart template
// signer-discovery-rbac.yaml). The decision is pure and unit-tested; publishDiscovery does the I/O.
import { ConfigError, MANAGED_BY_LABEL, MANAGED_BY_SIGNER } from './decide.mjs';
import { KubeApiError, type KubeClient } from './kube.mjs';

export const DISCOVERY_NAMESPACE = 'kube-public';
export const DISCOVERY_CONFIGMAP = 'local-registry-hosting';
export const DISCOVERY_KEY = 'localRegistryHosting.v1';
/** Annotation naming the release (<namespace>/<fullname>) whose signer wrote the ConfigMap. */
export const DISCOVERY_OWNER_ANNOTATION = 'creg-chart/owner';

export interface DiscoveryConfig {
  enabled: boolean;
  /** <namespace>/<workload name>: the release that owns the ConfigMap. */
  owner: string;
  port: number;
  help: string;
}

/** Reads DISCOVERY, REGISTRY_PORT, DISCOVERY_HELP (only checked when DISCOVERY=true). */
export function readDiscoveryConfig(env: Record<string, string | undefined>, namespace: string, workloadName: string): DiscoveryConfig {
  const enabled = (env.DISCOVERY ?? '').trim() === 'true';
  const owner = `${namespace}/${workloadName}`;
  if (!enabled) return { enabled, owner, port: 0, help: '' };
  const raw = (env.REGISTRY_PORT ?? '').trim();
  const port = Number(raw);
  if (!/^[0-9]{1,5}$/.test(raw) || port < 1 || port > 65535) {
    throw new ConfigError(`REGISTRY_PORT=${JSON.stringify(env.REGISTRY_PORT ?? '')} must be the registry's Service port (1-65535) when DISCOVERY=true.`);
  }
  const help = (env.DISCOVERY_HELP ?? '').trim();
  if (help && !/^https?:\/\/\S+$/.test(help)) throw new ConfigError(`DISCOVERY_HELP=${JSON.stringify(help)} must be an http(s) URL.`);
  return { enabled, owner, port, help };
}

/** The KEP-1755 document: where the container runtime and pods reach the registry. */
export function discoveryDocument(input: { clusterIp: string; port: number; service: string; namespace: string; help: string }): string {
  const ip = input.clusterIp.includes(':') ? `[${input.clusterIp}]` : input.clusterIp;
  const doc: Record<string, string> = {
    // Where a user's tools push to: the ClusterIP, reachable from nodes (and from machines that route
    // the Service network and ran `creg-chart trust --release`).
    host: `${ip}:${input.port}`,
    hostFromContainerRuntime: `${ip}:${input.port}`,
    hostFromClusterNetwork: `${input.service}.${input.namespace}.svc:${input.port}`,
  };
  if (input.help) doc.help = input.help;
  // JSON strings are YAML double-quoted scalars: no YAML library in the signer bundle.
  return Object.entries(doc).map(([k, v]) => `${k}: ${JSON.stringify(v)}\n`).join('');
}

interface ConfigMapLike {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; resourceVersion?: string };
  data?: Record<string, string>;
}

export type DiscoveryDecision = { action: 'create' | 'update' | 'keep' | 'refuse'; reason: string };

/** What to do with kube-public/local-registry-hosting given what is there now. */
export function decideDiscovery(current: ConfigMapLike | null, document: string, owner: string): DiscoveryDecision {
  const name = `${DISCOVERY_NAMESPACE}/${DISCOVERY_CONFIGMAP}`;
  if (!current) return { action: 'create', reason: `${name} does not exist yet` };
  const by = current.metadata?.annotations?.[DISCOVERY_OWNER_ANNOTATION];
  if (current.metadata?.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_SIGNER || !by) {
    return {
      action: 'refuse',
      reason: `ConfigMap ${name} exists but was not made by the creg-chart signer (another tool publishes the cluster's local registry there); delete it (kubectl -n ${DISCOVERY_NAMESPACE} delete configmap ${DISCOVERY_CONFIGMAP}) or set discovery.enabled=false`,
    };
  }
  if (by !== owner) {
    return {
      action: 'refuse',
      reason: `ConfigMap ${name} is published by the creg-chart release ${by}, not ${owner}; KEP-1755 allows one local registry per cluster: set discovery.enabled=false for one of the two releases (and delete the ConfigMap if ${by} is gone)`,
    };
  }
  const have = current.data ?? {};
  if (have[DISCOVERY_KEY] === document && Object.keys(have).length === 1) return { action: 'keep', reason: `${name} already points at this registry` };
  return { action: 'update', reason: have[DISCOVERY_KEY] === undefined ? `${name} has no ${DISCOVERY_KEY}` : `${name} points at ${JSON.stringify(have[DISCOVERY_KEY].trim())}` };
}

/** Creates or updates kube-public/local-registry-hosting when needed. */
export async function publishDiscovery(
  kube: KubeClient,
  cfg: DiscoveryConfig,
  where: { clusterIp: string; service: string; namespace: string },
  log: (line: string) => void,
): Promise<void> {
  if (!cfg.enabled) return;
  const document = discoveryDocument({ ...where, port: cfg.port, help: cfg.help });
  const current = (await kube.getConfigMap(DISCOVERY_NAMESPACE, DISCOVERY_CONFIGMAP)) as ConfigMapLike | null;
  const decision = decideDiscovery(current, document, cfg.owner);
  if (decision.action === 'keep') {
    log(`keeping ConfigMap ${DISCOVERY_NAMESPACE}/${DISCOVERY_CONFIGMAP} (KEP-1755): ${decision.reason}`);
    return;
  }
  if (decision.action === 'refuse') throw new ConfigError(`${decision.reason}.`);
  log(`${decision.action === 'create' ? 'creating' : 'updating'} ConfigMap ${DISCOVERY_NAMESPACE}/${DISCOVERY_CONFIGMAP} (KEP-1755): ${decision.reason}`);
  const body = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: DISCOVERY_CONFIGMAP,
      namespace: DISCOVERY_NAMESPACE,
      labels: { ...(current?.metadata?.labels ?? {}), [MANAGED_BY_LABEL]: MANAGED_BY_SIGNER },
      annotations: {
        ...(current?.metadata?.annotations ?? {}),
        [DISCOVERY_OWNER_ANNOTATION]: cfg.owner,
        'creg-chart/note': `Where the cluster's local registry is (KEP-1755), kept current by the creg-chart signer of ${cfg.owner}. Not removed by helm uninstall: delete it with the release.`,
      },
      ...(current?.metadata?.resourceVersion ? { resourceVersion: current.metadata.resourceVersion } : {}),
    },
    data: { [DISCOVERY_KEY]: document },
  };
  try {
    if (current) await kube.replaceConfigMap(DISCOVERY_NAMESPACE, body);
    else await kube.createConfigMap(DISCOVERY_NAMESPACE, body);
  } catch (e) {
    if (e instanceof KubeApiError && e.status === 409) {
      throw new Error(`ConfigMap ${DISCOVERY_NAMESPACE}/${DISCOVERY_CONFIGMAP} was ${current ? 'changed' : 'created'} by someone else while the signer ran (409 Conflict); run the hook again (helm upgrade).`);
    }
    throw e;
  }
  log(`${current ? 'updated' : 'created'} ConfigMap ${DISCOVERY_NAMESPACE}/${DISCOVERY_CONFIGMAP}: ${document.trim().replace(/\n/g, '; ')}`);
}
