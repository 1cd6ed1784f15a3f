// Read-only window of the garbage-collection Job (chart-templates/templates/gc-cronjob.yaml):
//   node signer.js maintenance read-only    (init container, before `registry garbage-collect`)
//   node signer.js maintenance read-write   (main container, after it; ends the Job with GC's exit code)
//   node signer.js maintenance recover      (the gc-recover CronJob, every few minutes)
// The registry reads REGISTRY_STORAGE_MAINTENANCE from the maintenance ConfigMap
// at start only, so each switch writes the ConfigMap and then restarts the
// registry pods one at a time, waiting for each replacement to be ready.
// read-only also records which pod switched (READ_ONLY_BY): a GC pod killed
// before its read-write step (a node failure, a deadline, a deleted Job)
// cannot switch back, and `recover` does so once that pod is no longer
// pending or running, instead of the registry refusing pushes until the
// next weekly run.
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, podIsReady } from './decide.mjs';
import { KubeApiError, KubeClient, SA_DIR } from './kube.mjs';

type Log = (line: string) => void;
export type Mode = 'read-only' | 'read-write';

/** ConfigMap annotations: the pod that switched the registry to read-only, and when. */
export const READ_ONLY_BY = 'creg-chart/read-only-by';
export const READ_ONLY_SINCE = 'creg-chart/read-only-since';

/** The ConfigMap key, an env name the registry reads (map form: the leaf _READONLY_ENABLED form panics). */
export const MAINTENANCE_KEY = 'REGISTRY_STORAGE_MAINTENANCE';
export const MAINTENANCE_VALUE: Record<Mode, string> = {
  'read-only': '{"readonly":{"enabled":true}}',
  'read-write': '{"readonly":{"enabled":false}}',
};

export interface MaintenanceConfig {
  namespace: string;
  configMap: string;
  workloadKind: 'ReplicationController' | 'Deployment';
  workloadName: string;
  podSelector: string;
  readyTimeoutSeconds: number;
  /** Where the garbage-collect container wrote its exit code (read-write only). */
  gcExitFile?: string;
  /** This pod's name (read-only records it). */
  podName?: string;
  /** Label selector of the gc Job pods (recover looks for the recorded one among them). */
  gcPodSelector?: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function readMaintenanceConfig(env: Record<string, string | undefined>, saNamespace?: string): MaintenanceConfig {
  const missing = ['MAINTENANCE_CONFIGMAP', 'WORKLOAD_KIND', 'WORKLOAD_NAME', 'POD_SELECTOR'].filter((n) => !env[n]?.trim());
  const namespace = env.POD_NAMESPACE?.trim() || saNamespace;
  if (!namespace) missing.push('POD_NAMESPACE');
  if (missing.length) throw new ConfigError(`The maintenance step needs the environment variables ${missing.join(', ')} (set by the chart's gc CronJob).`);
  const kind = env.WORKLOAD_KIND!.trim();
  if (kind !== 'ReplicationController' && kind !== 'Deployment') throw new ConfigError(`WORKLOAD_KIND must be ReplicationController or Deployment, not ${JSON.stringify(kind)}.`);
  const timeout = Number(env.READY_TIMEOUT_SECONDS ?? '300');
  if (!Number.isInteger(timeout) || timeout < 1) throw new ConfigError(`READY_TIMEOUT_SECONDS must be a whole number of seconds, not ${JSON.stringify(env.READY_TIMEOUT_SECONDS)}.`);
  return {
    namespace: namespace!,
    configMap: env.MAINTENANCE_CONFIGMAP!.trim(),
    workloadKind: kind,
    workloadName: env.WORKLOAD_NAME!.trim(),
    podSelector: env.POD_SELECTOR!.trim(),
    readyTimeoutSeconds: timeout,
    gcExitFile: env.GC_EXIT_FILE?.trim() || undefined,
    podName: env.POD_NAME?.trim() || undefined,
    gcPodSelector: env.GC_POD_SELECTOR?.trim() || undefined,
  };
}

async function maintenanceConfigMap(kube: KubeClient, cfg: MaintenanceConfig): Promise<any> {
  const cm = await kube.getConfigMap(cfg.namespace, cfg.configMap);
  if (!cm) throw new Error(`ConfigMap ${cfg.configMap} does not exist in namespace ${cfg.namespace}; it is part of the chart (gc.enabled=true): run helm upgrade.`);
  return cm;
}

/** Writes the mode into the ConfigMap (when it differs), then restarts every registry pod, one at a time. */
async function switchMode(kube: KubeClient, cfg: MaintenanceConfig, mode: Mode, log: Log): Promise<void> {
  const ns = cfg.namespace;
  const cm = await maintenanceConfigMap(kube, cfg);
  const value = MAINTENANCE_VALUE[mode];
  const annotations = { ...(cm.metadata?.annotations ?? {}) };
  delete annotations[READ_ONLY_BY];
  delete annotations[READ_ONLY_SINCE];
  if (mode === 'read-only') {
    annotations[READ_ONLY_BY] = cfg.podName ?? '';
    annotations[READ_ONLY_SINCE] = new Date().toISOString();
  }
  if (cm.data?.[MAINTENANCE_KEY] !== value || JSON.stringify(annotations) !== JSON.stringify(cm.metadata?.annotations ?? {})) {
    cm.data = { ...(cm.data ?? {}), [MAINTENANCE_KEY]: value };
    cm.metadata = { ...cm.metadata, annotations };
    try {
      await kube.replaceConfigMap(ns, cm);
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 409) throw new Error(`ConfigMap ${cfg.configMap} changed while the maintenance step ran (409 Conflict); run the Job again.`);
      throw e;
    }
    log(`ConfigMap ${cfg.configMap}: ${MAINTENANCE_KEY}=${value}`);
  } else {
    log(`ConfigMap ${cfg.configMap} already says ${mode}`);
  }
  const workload = await kube.getWorkload(ns, cfg.workloadKind, cfg.workloadName);
  const desired: number = typeof workload?.spec?.replicas === 'number' ? workload.spec.replicas : 1;
  const list = (await kube.listPods(ns, cfg.podSelector))?.items ?? [];
  const pods = list.filter((p: any) => !p.metadata?.deletionTimestamp).map((p: any) => p.metadata.name as string);
  log(`restarting ${pods.length} registry pod(s) into ${mode} mode (${cfg.workloadKind} ${cfg.workloadName}, ${desired} wanted)`);
  const restarted = new Set<string>();
  for (const [i, pod] of pods.entries()) {
    log(`restarting pod ${pod} (${i + 1}/${pods.length})`);
    await kube.deletePod(ns, pod);
    restarted.add(pod);
    const deadline = Date.now() + cfg.readyTimeoutSeconds * 1000;
    for (;;) {
      // Ready pods that started after the switch (not one of those being replaced).
      const items = (await kube.listPods(ns, cfg.podSelector))?.items ?? [];
      const fresh = items.filter((p: any) => !p.metadata?.deletionTimestamp && !pods.includes(p.metadata.name) && podIsReady(p));
      if (fresh.length >= Math.min(desired, restarted.size)) {
        log(`${fresh.length} registry pod(s) ready in ${mode} mode`);
        break;
      }
      if (Date.now() > deadline) {
        throw new Error(`After restarting pod ${pod}, no replacement became ready within ${cfg.readyTimeoutSeconds}s; check kubectl -n ${ns} get pods -l ${cfg.podSelector}.`);
      }
      await sleep(2000);
    }
  }
}

/**
 * read-only: switch, and switch back to read-write if that fails (never
 * leave the registry read-only). read-write: switch back, then fail when the
 * garbage-collect container failed or did not run.
 */
/**
 * Whether a read-only registry was left so by a gc pod that can no longer
 * switch it back: the recorded pod is gone or has ended. A read-only window
 * whose pod is still pending or running is a collection under way.
 */
export function readOnlyIsStale(recordedPod: string | undefined, gcPods: { metadata?: { name?: string; deletionTimestamp?: string }; status?: { phase?: string } }[]): boolean {
  if (!recordedPod) return true; // no pod recorded: nothing is under way that could end it
  const pod = gcPods.find((p) => p.metadata?.name === recordedPod);
  if (!pod || pod.metadata?.deletionTimestamp) return true;
  return pod.status?.phase !== 'Pending' && pod.status?.phase !== 'Running';
}

/** recover: back to read-write when the pod that made the registry read-only cannot do it any more. */
async function recover(kube: KubeClient, cfg: MaintenanceConfig, log: Log): Promise<void> {
  if (!cfg.gcPodSelector) throw new ConfigError('maintenance recover needs GC_POD_SELECTOR (set by the chart\'s gc-recover CronJob).');
  const cm = await maintenanceConfigMap(kube, cfg);
  if (cm.data?.[MAINTENANCE_KEY] !== MAINTENANCE_VALUE['read-only']) {
    log('registry is read-write: nothing to recover');
    return;
  }
  const by = cm.metadata?.annotations?.[READ_ONLY_BY] || undefined;
  const since = cm.metadata?.annotations?.[READ_ONLY_SINCE] ?? 'an unknown time';
  const gcPods = (await kube.listPods(cfg.namespace, cfg.gcPodSelector))?.items ?? [];
  if (!readOnlyIsStale(by, gcPods)) {
    log(`registry is read-only since ${since} for garbage collection pod ${by}, which is still ${gcPods.find((p: any) => p.metadata?.name === by)?.status?.phase?.toLowerCase()}: leaving it`);
    return;
  }
  log(`registry is read-only since ${since}, but ${by ? `garbage collection pod ${by} is gone or has ended` : 'no garbage collection pod is recorded'} without switching back: switching to read-write`);
  await switchMode(kube, cfg, 'read-write', log);
  log('registry is read-write again');
}

export async function runMaintenance(mode: Mode | 'recover', env: Record<string, string | undefined>, log: Log): Promise<void> {
  let saNamespace: string | undefined;
  try {
    saNamespace = readFileSync(`${SA_DIR}/namespace`, 'utf8').trim();
  } catch {
    saNamespace = undefined;
  }
  const cfg = readMaintenanceConfig(env, saNamespace);
  const kube = KubeClient.fromEnvironment(env);
  if (mode === 'recover') {
    await recover(kube, cfg, log);
    return;
  }
  if (mode === 'read-only') {
    try {
      await switchMode(kube, cfg, 'read-only', log);
    } catch (e) {
      log(`could not enter read-only mode: ${(e as Error).message}; switching back to read-write`);
      await switchMode(kube, cfg, 'read-write', log);
      throw e;
    }
    log('registry is read-only: pushes are refused (405 Method Not Allowed) until the garbage collection ends');
    return;
  }
  await switchMode(kube, cfg, 'read-write', log);
  log('registry is read-write again');
  if (!cfg.gcExitFile) return;
  if (!existsSync(cfg.gcExitFile)) throw new Error(`garbage collection did not run (no ${cfg.gcExitFile}); see the garbage-collect container's log.`);
  const code = readFileSync(cfg.gcExitFile, 'utf8').trim();
  if (code !== '0') throw new Error(`registry garbage-collect exited with ${code}; see the garbage-collect container's log (kubectl logs job/... -c garbage-collect).`);
  log('garbage collection succeeded');
}
