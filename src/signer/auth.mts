// Registry authentication, done by the signer hook (README "Authentication"): the htpasswd Secret the
// registry reads, the push user's credentials and the image pull Secret (pull user only). Generated
// once, on first install, and kept across upgrades and rollbacks like the CA; or taken from a Secret
// the operator made (auth.existingSecret). No password is ever logged.
import { createHash, randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { KubeApiError, type KubeClient } from './kube.mjs';

export type AuthMode = 'off' | 'generate' | 'existing';

export interface AuthConfig {
  mode: AuthMode;
  htpasswdSecret: string;
  pushSecret: string;
  pullSecret: string;
  pushUser: string;
  pullUser: string;
  registryPort: number;
}

export class AuthConfigError extends Error {}

const K8S_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const USER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** bcrypt cost of generated entries (Distribution checks every request's password against it). */
export const BCRYPT_COST = 10;

/** Reads the auth settings of the hook's environment (AUTH_MODE unset: off). */
export function readAuthConfig(env: Record<string, string | undefined>): AuthConfig | null {
  const mode = (env.AUTH_MODE ?? 'off').trim();
  if (mode === 'off' || mode === '') return null;
  if (mode !== 'generate' && mode !== 'existing') throw new AuthConfigError(`AUTH_MODE=${JSON.stringify(mode)} must be off, generate or existing.`);
  const need = (n: string, re: RegExp, what: string) => {
    const v = (env[n] ?? '').trim();
    if (!re.test(v)) throw new AuthConfigError(`${n}=${JSON.stringify(v)} is not ${what}; the hook Job's pod spec must set it.`);
    return v;
  };
  const port = Number(env.REGISTRY_PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new AuthConfigError(`REGISTRY_PORT=${JSON.stringify(env.REGISTRY_PORT)} must be a port number (1-65535).`);
  return {
    mode,
    htpasswdSecret: need('AUTH_HTPASSWD_SECRET', K8S_NAME, 'a Kubernetes object name'),
    pushSecret: need('AUTH_PUSH_SECRET', K8S_NAME, 'a Kubernetes object name'),
    pullSecret: need('AUTH_PULL_SECRET', K8S_NAME, 'a Kubernetes object name'),
    pushUser: need('AUTH_PUSH_USER', USER, 'a user name (letters, digits, . _ -)'),
    pullUser: need('AUTH_PULL_USER', USER, 'a user name (letters, digits, . _ -)'),
    registryPort: port,
  };
}

/** A random password: 32 characters of base64url (192 bits). */
export function newPassword(): string {
  return randomBytes(24).toString('base64url');
}

/** One htpasswd line with a bcrypt hash ($2y$, as `htpasswd -B` writes and Distribution reads). */
export function htpasswdLine(user: string, password: string, cost = BCRYPT_COST): string {
  return `${user}:${bcrypt.hashSync(password, cost).replace(/^\$2[ab]\$/, '$2y$')}`;
}

/** Whether `password` matches the bcrypt entry of `user` in an htpasswd text. */
export function htpasswdAccepts(text: string, user: string, password: string): boolean {
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i) === user) return bcrypt.compareSync(password, line.slice(i + 1).trim().replace(/^\$2y\$/, '$2b$'));
  }
  return false;
}

/** `Basic base64(user:password)`, the Authorization header value for registry requests. */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** The registry addresses the pull Secret covers: every ClusterIP and Service DNS name, with the port. */
export function registryAddresses(ips: readonly string[], dnsNames: readonly string[], port: number): string[] {
  return [...ips.map((ip) => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`)), ...dnsNames.map((d) => `${d}:${port}`)];
}

/** The `.dockerconfigjson` of the image pull Secret. */
export function dockerConfigJson(addresses: readonly string[], user: string, password: string): string {
  const auth = Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
  const auths: Record<string, { username: string; password: string; auth: string }> = {};
  for (const a of addresses) auths[a] = { username: user, password, auth };
  return JSON.stringify({ auths });
}

type Secret = {
  apiVersion?: string;
  kind?: string;
  type?: string;
  metadata: { name: string; resourceVersion?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
};

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string | undefined) => (s === undefined ? undefined : Buffer.from(s, 'base64').toString('utf8'));
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export interface AuthResult {
  /** sha256 of the htpasswd file the registry pods must serve. */
  htpasswdSha: string;
}

/**
 * Makes sure the htpasswd Secret exists (generate mode: with a push and a pull user whose passwords
 * are in the push Secret and the pull Secret), and that the pull Secret covers the registry's current
 * addresses. Idempotent: with nothing changed it only reads.
 */
export async function ensureAuth(
  kube: KubeClient,
  ns: string,
  auth: AuthConfig,
  addresses: readonly string[],
  labels: Record<string, string>,
  log: (line: string) => void,
): Promise<AuthResult> {
  const get = async (name: string) => (await kube.getSecret(ns, name)) as Secret | null;
  const write = async (current: Secret | null, body: Secret) => {
    if (current?.metadata.resourceVersion) body.metadata.resourceVersion = current.metadata.resourceVersion;
    try {
      return (current ? await kube.replaceSecret(ns, body) : await kube.createSecret(ns, body)) as Secret;
    } catch (e) {
      if (e instanceof KubeApiError && e.status === 409) {
        throw new Error(`Secret ${body.metadata.name} was ${current ? 'changed' : 'created'} by someone else while the signer ran (409 Conflict); run the hook again (helm upgrade).`);
      }
      throw e;
    }
  };
  const note = (text: string) => ({ 'creg-chart/note': text });

  let htpasswd: string;
  let pull: { user: string; password: string } | null = null;
  if (auth.mode === 'existing') {
    const s = await get(auth.htpasswdSecret);
    if (!s) throw new Error(`auth.existingSecret names Secret ${auth.htpasswdSecret}, which does not exist in namespace ${ns}; create it (kubectl -n ${ns} create secret generic ${auth.htpasswdSecret} --from-file=htpasswd=FILE) and run helm upgrade.`);
    htpasswd = unb64(s.data?.htpasswd) ?? '';
    if (!/^[^:\s]+:\$2[aby]\$/m.test(htpasswd)) {
      throw new Error(`Secret ${auth.htpasswdSecret} (auth.existingSecret) has no key htpasswd with bcrypt entries (expected lines USER:$2y$..., made with htpasswd -nB USER); Distribution accepts bcrypt only.`);
    }
    const user = unb64(s.data?.['pull-username']);
    const password = unb64(s.data?.['pull-password']);
    if (user && password) pull = { user, password };
    else log(`Secret ${auth.htpasswdSecret} has no pull-username/pull-password: no image pull Secret is made (nodes need your own credentials)`);
    log(`using the htpasswd file of Secret ${auth.htpasswdSecret} (auth.existingSecret; sha256 ${sha256(htpasswd).slice(0, 16)}…)`);
  } else {
    const [hs, push, pullS] = [await get(auth.htpasswdSecret), await get(auth.pushSecret), await get(auth.pullSecret)];
    const pushUser = unb64(push?.data?.username);
    const pushPassword = unb64(push?.data?.password);
    const pullUser = unb64(pullS?.data?.username);
    const pullPassword = unb64(pullS?.data?.password);
    const existing = unb64(hs?.data?.htpasswd) ?? '';
    const usable =
      hs && pushUser && pushPassword && pullUser && pullPassword && htpasswdAccepts(existing, pushUser, pushPassword) && htpasswdAccepts(existing, pullUser, pullPassword);
    if (usable) {
      htpasswd = existing;
      pull = { user: pullUser!, password: pullPassword! };
      log(`reusing the registry users ${pushUser} (Secret ${auth.pushSecret}) and ${pullUser} (Secret ${auth.pullSecret})`);
    } else {
      const why = !hs ? `Secret ${auth.htpasswdSecret} does not exist yet` : `Secrets ${auth.htpasswdSecret}, ${auth.pushSecret} and ${auth.pullSecret} do not hold matching users (one was deleted or edited)`;
      log(`generating registry users ${auth.pushUser} (push) and ${auth.pullUser} (pull): ${why}`);
      const pushPw = newPassword();
      const pullPw = newPassword();
      htpasswd = `${htpasswdLine(auth.pushUser, pushPw)}\n${htpasswdLine(auth.pullUser, pullPw)}\n`;
      pull = { user: auth.pullUser, password: pullPw };
      // The credential Secrets first: an htpasswd without them would lock everyone out.
      await write(push, {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'kubernetes.io/basic-auth',
        metadata: {
          name: auth.pushSecret,
          labels,
          annotations: note('Push user of the registry, made by the creg-chart signer; kept after helm uninstall. Delete it (and the -htpasswd and -pull Secrets) to have new users made.'),
        },
        data: { username: b64(auth.pushUser), password: b64(pushPw) },
      });
      // The pull Secret is written below with the registry addresses.
      await writePull(pullS, true);
      await write(hs, {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: {
          name: auth.htpasswdSecret,
          labels,
          annotations: note('htpasswd file (bcrypt) the registry reads, made by the creg-chart signer; kept after helm uninstall.'),
        },
        data: { htpasswd: b64(htpasswd) },
      });
      log(`created the registry users; passwords are only in Secrets ${auth.pushSecret} and ${auth.pullSecret}`);
      return { htpasswdSha: sha256(htpasswd) };
    }
  }
  await writePull(await get(auth.pullSecret), false);
  return { htpasswdSha: sha256(htpasswd) };

  /** Writes the image pull Secret when it is missing or its content differs. */
  async function writePull(current: Secret | null, force: boolean): Promise<void> {
    if (!pull) return;
    const want: Record<string, string> = {
      '.dockerconfigjson': b64(dockerConfigJson(addresses, pull.user, pull.password)),
      username: b64(pull.user),
      password: b64(pull.password),
      authorization: b64(basicAuthorization(pull.user, pull.password)),
    };
    const same = current && current.type === 'kubernetes.io/dockerconfigjson' && Object.keys(want).every((k) => current.data?.[k] === want[k]);
    if (same && !force) {
      log(`keeping image pull Secret ${auth.pullSecret} (${addresses.join(', ')})`);
      return;
    }
    if (current && current.type && current.type !== 'kubernetes.io/dockerconfigjson') {
      throw new Error(`Secret ${auth.pullSecret} has type ${current.type}, not kubernetes.io/dockerconfigjson (the type cannot be changed); delete it (kubectl -n ${ns} delete secret ${auth.pullSecret}) and run the hook again.`);
    }
    await write(current, {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/dockerconfigjson',
      metadata: {
        name: auth.pullSecret,
        labels,
        annotations: note(`Image pull Secret for the registry (pull user ${pull.user} only), made by the creg-chart signer for ${addresses.join(', ')}. Copy it into other namespaces to pull from there.`),
      },
      data: want,
    });
    log(`${current ? 'updated' : 'created'} image pull Secret ${auth.pullSecret} for ${addresses.join(', ')}`);
  }
}
