// Minimal Kubernetes API client over node:https (service-account token + CA). No dependencies.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';

export const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** What a request does, in RBAC terms, so a 403 can say what the Role must grant. */
export interface Access {
  verb: 'get' | 'list' | 'create' | 'update' | 'patch' | 'delete';
  resource: string;
  group?: string;
  name?: string;
  namespace?: string;
}

export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly reason?: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface KubeClientOptions {
  apiUrl: string;
  tokenFile: string;
  caFile?: string;
  timeoutMs?: number;
}

function describeAccess(a: Access): string {
  const res = a.group ? `${a.resource}.${a.group}` : a.resource;
  return `${a.verb} ${res}${a.name ? ` "${a.name}"` : ''}${a.namespace ? ` in namespace "${a.namespace}"` : ''}`;
}

export class KubeClient {
  readonly apiUrl: URL;
  private readonly ca?: Buffer;

  constructor(private readonly opts: KubeClientOptions) {
    this.apiUrl = new URL(opts.apiUrl);
    if (this.apiUrl.protocol === 'https:') {
      const caFile = opts.caFile ?? `${SA_DIR}/ca.crt`;
      try {
        this.ca = readFileSync(caFile);
      } catch (e) {
        throw new KubeApiError(
          `Cannot read the API server CA ${caFile} (${(e as NodeJS.ErrnoException).code}); mount the service-account token (automountServiceAccountToken: true) or set KUBE_CA_FILE.`,
          0,
        );
      }
    }
  }

  /** Builds a client from KUBE_API_URL / KUBERNETES_SERVICE_HOST+PORT, KUBE_TOKEN_FILE, KUBE_CA_FILE. */
  static fromEnvironment(env: Record<string, string | undefined> = process.env): KubeClient {
    let apiUrl = env.KUBE_API_URL;
    if (!apiUrl) {
      const host = env.KUBERNETES_SERVICE_HOST;
      const port = env.KUBERNETES_SERVICE_PORT || '443';
      if (!host) {
        throw new KubeApiError('Not running in a pod (KUBERNETES_SERVICE_HOST is unset) and KUBE_API_URL is not set; cannot find the Kubernetes API.', 0);
      }
      apiUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    }
    return new KubeClient({
      apiUrl,
      tokenFile: env.KUBE_TOKEN_FILE || `${SA_DIR}/token`,
      caFile: env.KUBE_CA_FILE || undefined,
    });
  }

  private token(): string {
    let token: string;
    try {
      token = readFileSync(this.opts.tokenFile, 'utf8').trim(); // re-read: bound tokens rotate
    } catch (e) {
      throw new KubeApiError(
        `Cannot read the service-account token ${this.opts.tokenFile} (${(e as NodeJS.ErrnoException).code}); the signer pod needs automountServiceAccountToken: true (or set KUBE_TOKEN_FILE).`,
        0,
      );
    }
    if (!/^[\x21-\x7e]+$/.test(token)) {
      throw new KubeApiError(`The token file ${this.opts.tokenFile} does not hold a bearer token (empty, or has spaces or line breaks).`, 0);
    }
    return token;
  }

  /** Sends one request; JSON in and out. 404 resolves to null when `allow404`. */
  async request<T = any>(method: string, path: string, access: Access, body?: unknown, allow404 = false): Promise<T | null> {
    const url = new URL(path, this.apiUrl);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${this.token()}` };
    if (payload) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const mod = url.protocol === 'https:' ? https : http;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = mod.request(
        url,
        { method, headers, ca: this.ca, timeout: this.opts.timeoutMs ?? 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error('request timed out')));
      req.on('error', (e: NodeJS.ErrnoException) =>
        reject(new KubeApiError(`Cannot reach the Kubernetes API at ${this.apiUrl.origin} to ${describeAccess(access)}: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' '), 0)),
      );
      if (payload) req.write(payload);
      req.end();
    });
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (status >= 200 && status < 300) return json as T;
    if (status === 404 && allow404) return null;
    const apiMsg = json && typeof json.message === 'string' ? json.message : text.slice(0, 200);
    const what = describeAccess(access);
    switch (status) {
      case 401:
        throw new KubeApiError(`The Kubernetes API rejected the service-account token (401 Unauthorized) trying to ${what}; the token is missing, expired or not for this cluster.`, status, 'Unauthorized');
      // Pods have generated names: the Role grants them by verb, never by resourceNames.
      case 403:
        throw new KubeApiError(
          `Forbidden (403) to ${what}: the Role bound to the signer's ServiceAccount must grant verb "${access.verb}" on resource "${access.resource}"${access.group ? ` (apiGroup "${access.group}")` : ' (core apiGroup "")'}${access.name && access.verb !== 'create' && access.verb !== 'list' && access.resource !== 'pods' ? ` with resourceNames ["${access.name}"]` : ''}. API said: ${apiMsg}`,
          status,
          'Forbidden',
        );
      case 404:
        throw new KubeApiError(`Not found (404) trying to ${what}: ${apiMsg}`, status, 'NotFound');
      case 409:
        throw new KubeApiError(`Conflict (409) trying to ${what}: ${apiMsg}`, status, (json && json.reason) || 'Conflict');
      default:
        throw new KubeApiError(`The Kubernetes API answered ${status} trying to ${what}: ${apiMsg}`, status, json?.reason);
    }
  }

  getService(ns: string, name: string) {
    return this.request('GET', `/api/v1/namespaces/${ns}/services/${name}`, { verb: 'get', resource: 'services', name, namespace: ns });
  }

  // Secrets and ConfigMaps: the same three calls on a namespaced core resource.
  /** The object, or null when it does not exist. */
  private getCore(resource: 'secrets' | 'configmaps', ns: string, name: string) {
    return this.request('GET', `/api/v1/namespaces/${ns}/${resource}/${name}`, { verb: 'get', resource, name, namespace: ns }, undefined, true);
  }

  private createCore(resource: 'secrets' | 'configmaps', ns: string, obj: { metadata: { name: string } }) {
    return this.request('POST', `/api/v1/namespaces/${ns}/${resource}`, { verb: 'create', resource, name: obj.metadata.name, namespace: ns }, obj);
  }

  /** Full update (PUT); include metadata.resourceVersion to fail on concurrent changes. */
  private replaceCore(resource: 'secrets' | 'configmaps', ns: string, obj: { metadata: { name: string } }) {
    const name = obj.metadata.name;
    return this.request('PUT', `/api/v1/namespaces/${ns}/${resource}/${name}`, { verb: 'update', resource, name, namespace: ns }, obj);
  }

  getSecret(ns: string, name: string) { return this.getCore('secrets', ns, name); }
  createSecret(ns: string, secret: { metadata: { name: string } }) { return this.createCore('secrets', ns, secret); }
  replaceSecret(ns: string, secret: { metadata: { name: string } }) { return this.replaceCore('secrets', ns, secret); }
  getConfigMap(ns: string, name: string) { return this.getCore('configmaps', ns, name); }
  createConfigMap(ns: string, configMap: { metadata: { name: string } }) { return this.createCore('configmaps', ns, configMap); }
  replaceConfigMap(ns: string, configMap: { metadata: { name: string } }) { return this.replaceCore('configmaps', ns, configMap); }

  getWorkload(ns: string, kind: 'ReplicationController' | 'Deployment', name: string) {
    return kind === 'Deployment'
      ? this.request('GET', `/apis/apps/v1/namespaces/${ns}/deployments/${name}`, { verb: 'get', resource: 'deployments', group: 'apps', name, namespace: ns })
      : this.request('GET', `/api/v1/namespaces/${ns}/replicationcontrollers/${name}`, { verb: 'get', resource: 'replicationcontrollers', name, namespace: ns });
  }

  listPods(ns: string, labelSelector: string) {
    return this.request<{ items: any[] }>('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(labelSelector)}`, {
      verb: 'list',
      resource: 'pods',
      namespace: ns,
    });
  }

  /** Deletes a pod; an already-gone pod is not an error. */
  deletePod(ns: string, name: string) {
    return this.request('DELETE', `/api/v1/namespaces/${ns}/pods/${name}`, { verb: 'delete', resource: 'pods', name, namespace: ns }, undefined, true);
  }
}
