/**
 * The chart's README.md, generated at build time from values.schema.json
 * (descriptions, types) and the chart's own defaults (the values baked into
 * its values.yaml), like helm-docs makes, plus install, upgrade,
 * per-cluster, trust and test instructions.
 */

import { commentText } from '../values/emit.js';
import type { SchemaNode } from '../values/validate.js';


export interface ReadmeInput {
  chart: { name: string; version: string; appVersion: string };
  schema: SchemaNode;
  values: Record<string, unknown>;
}

export interface ValueRow {
  key: string;
  type: string;
  default: unknown;
  description: string;
}

/**
 * One row per leaf of the schema (a property without sub-properties: scalars,
 * lists, free-form maps), in schema order. Resource quantities (cpu, memory)
 * (cpu, memory, ephemeral-storage) have no description of their own in the schema; theirs is derived from
 * their place (requests/limits).
 */
export function valueRows(schema: SchemaNode, values: unknown): ValueRow[] {
  const rows: ValueRow[] = [];
  const walk = (node: SchemaNode, path: string[], value: unknown) => {
    for (const [key, child] of Object.entries(node.properties ?? {})) {
      const childPath = [...path, key];
      const childValue = isMap(value) ? value[key] : undefined;
      if (child.properties) {
        walk(child, childPath, childValue);
      } else {
        rows.push({ key: childPath.join('.'), type: typeOf(child), default: childValue, description: describe(child, childPath) });
      }
    }
  };
  walk(schema, [], values);
  return rows;
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeOf(node: SchemaNode): string {
  if (node.enum) return node.enum.map((e) => JSON.stringify(e)).join(' \\| ');
  if (node.anyOf) return 'quantity';
  if (Array.isArray(node.type)) return node.type.join(' \\| ');
  if (node.type === 'array') return `list${node.items?.type ? ` of ${node.items.type === 'object' ? 'maps' : `${node.items.type}s`}` : ''}`;
  if (node.type === 'object') return 'map';
  return node.type ?? 'any';
}

function describe(node: SchemaNode, path: string[]): string {
  if (node.description) return node.description;
  const [parent, key] = path.slice(-2);
  const names: Record<string, [string, string]> = { cpu: ['CPU', '100m'], memory: ['Memory', '64Mi'], 'ephemeral-storage': ['Ephemeral storage (logs, writable layer, disk emptyDirs)', '128Mi'] };
  if ((parent === 'requests' || parent === 'limits') && names[key]) {
    const [name, example] = names[key];
    return `${name} ${parent === 'requests' ? 'request' : 'limit'} (Kubernetes quantity, e.g. \`${example}\`; unset: none).`;
  }
  return '';
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/**
 * A Markdown code span holding `text` exactly (CommonMark): fenced by a run
 * of backticks longer than any run inside, padded with a space where the text
 * starts or ends with a backtick. Control characters and line separators are
 * shown as escapes.
 */
export function codeSpan(text: string): string {
  const shown = commentText(text);
  const longest = Math.max(0, ...(shown.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  const pad = shown.startsWith('`') || shown.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}

function formatDefault(v: unknown): string {
  if (v === undefined) return '(unset)';
  return cell(codeSpan(JSON.stringify(v)));
}

export function renderChartReadme({ chart, schema, values }: ReadmeInput): string {
  const v = values as {
    nodeLabel: { key: string; value: string };
    registry: { port: number; runAsUser: number; runAsGroup: number };
    service: { name: string };
    nas: { server: string; path: string; mountPath: string };
  };
  const label = `${v.nodeLabel.key}=${v.nodeLabel.value}`;
  const port = v.registry.port;
  const rows = valueRows(schema, values);
  // Object names in the examples: release "creg"; Helm's fullname rule gives "creg" for chart
  // "creg" (the release name contains the chart name), else "creg-<chart>".
  const nameOverride = typeof values.nameOverride === 'string' && values.nameOverride ? values.nameOverride : chart.name;
  const fullname = typeof values.fullnameOverride === 'string' && values.fullnameOverride
    ? values.fullnameOverride
    : 'creg'.includes(nameOverride) ? 'creg' : `creg-${nameOverride}`;
  const groups = new Map<string, ValueRow[]>();
  for (const row of rows) {
    const top = row.key.includes('.') ? row.key.split('.')[0] : '';
    groups.set(top, [...(groups.get(top) ?? []), row]);
  }
  const table = (list: ValueRow[]) => [
    '| Key | Type | Default | Description |',
    '| --- | --- | --- | --- |',
    ...list.map((r) => `| \`${r.key}\` | ${r.type} | ${formatDefault(r.default)} | ${cell(r.description)} |`),
  ].join('\n');
  const sections: string[] = [];
  if (groups.has('')) sections.push(`### General\n\n${table(groups.get('')!)}`);
  for (const [top, list] of groups) {
    if (top === '') continue;
    const desc = schema.properties?.[top]?.description;
    sections.push(`### \`${top}\`\n\n${desc ? `${desc}\n\n` : ''}${table(list)}`);
  }

  return `# ${chart.name}

![Version: ${chart.version}](https://img.shields.io/badge/Version-${badge(chart.version)}-informational) ![AppVersion: ${chart.appVersion}](https://img.shields.io/badge/AppVersion-${badge(chart.appVersion)}-informational)

A private Distribution (Docker) container registry inside the cluster: images
on an NFS export mounted on labelled nodes, a ClusterIP Service, and a TLS
certificate signed in the cluster for that ClusterIP, trusted by every node.

This file is generated by \`creg-chart build\` from \`values.schema.json\` and
the chart's defaults; do not edit it by hand.

## Prerequisites

- Kubernetes >= 1.24 and Helm >= 3.8 (Helm 3 and Helm 4 both work).
- An NFS export reachable from the registry nodes (defaults: \`${v.nas.server}:${v.nas.path}\`),
  and the NFS client (\`mount.nfs\`: nfs-common / nfs-utils) on those nodes.
- Images go to \`registry/\` on the export (\`${v.nas.mountPath}/registry\` on the nodes), which the
  mount DaemonSet creates once the export is mounted: a registry pod does not start on a node
  without it, so images never land on a node's local disk.
- The registry runs as uid:gid \`${v.registry.runAsUser}:${v.registry.runAsGroup}\` (\`registry.runAsUser\`,
  \`registry.runAsGroup\`), not as root, with a read-only root file system; that user must own
  \`registry/\` on the export. The mount DaemonSet hands it over once (\`chown -R\`, only when the
  owner differs, e.g. an export written by an older root registry). An export with \`root_squash\`
  refuses that: run \`chown -R ${v.registry.runAsUser}:${v.registry.runAsGroup} <export>/registry\` on the NFS server (the
  mount DaemonSet's log says so and its pod stays unready until then), or set
  \`registry.runAsUser\`/\`runAsGroup\` to the directory's owner (\`0\` keeps the registry as root).
- At least one node labelled \`${label}\`:

      kubectl label nodes NODE ${label}

- A namespace that allows privileged pods (the mount and node trust DaemonSets use
  \`nsenter\` and host paths), e.g. \`kubectl label namespace registry pod-security.kubernetes.io/enforce=privileged\`.
- The user who runs \`helm install\` needs \`list\` on \`nodes\` (cluster scope) for the
  preflight check (see \`preflight.enabled\`).

## Install

From an OCI registry (\`creg-chart publish ... --to oci://REGISTRY/charts\`):

    helm install creg oci://REGISTRY/charts/${chart.name} --version ${chart.version} \\
      --namespace registry --create-namespace -f base.yaml -f clusters/CLUSTER.yaml

From a chart repository (\`creg-chart publish ... --to-dir\`, served over HTTP):

    helm repo add creg https://charts.example.com
    helm install creg creg/${chart.name} --version ${chart.version} -n registry --create-namespace -f base.yaml -f clusters/CLUSTER.yaml

From the packaged file: \`helm install creg ${chart.name}-${chart.version}.tgz -n registry --create-namespace -f ...\`.

The install does not wait for the certificate: registry pods start on a throw-away
certificate, then the post-install hook signs the real one for the ClusterIP and
restarts them. \`--wait\` (Helm 3) and \`--wait\`/\`--rollback-on-failure\` (Helm 4) are safe.

Then check it:

    helm test creg -n registry        # /v2/ answers over TLS, certificate valid for the ClusterIP

## Upgrade

Upgrade with the same values files as the install (Helm does not remember \`-f\`
files; \`--reuse-values\` would freeze the old defaults):

    helm upgrade creg oci://REGISTRY/charts/${chart.name} --version NEW_VERSION -n registry -f base.yaml -f clusters/CLUSTER.yaml

The certificate authority (Secret \`${fullname}-ca\`) is kept across upgrades, so
node trust survives; the server certificate is signed again only when the ClusterIP,
the names or the expiry need it.

## Per-cluster values

Keep what every cluster shares in \`base.yaml\` and one small file per cluster in
\`clusters/\` (NAS server, node label, fixed ClusterIP...). Later files win, maps merge
key by key, lists are replaced, \`null\` removes a default, \`--set\` comes last.
Before touching any cluster:

    creg-chart validate -f base.yaml --cluster-dir clusters/      # every file, every bad field
    creg-chart template -f base.yaml --cluster clusters/a.yaml -n registry --chart ${chart.name}-${chart.version}.tgz

## Trust (nodes and clients)

Nodes pull from \`<ClusterIP>:${port}\` (they cannot resolve cluster DNS names), so
every node's container runtime must trust the registry's CA:

- \`nodeTrust.enabled\` (default on) runs a DaemonSet that writes the CA into
  \`/etc/containerd/certs.d/<ip>:${port}/\` (with \`hosts.toml\`), \`/etc/docker/certs.d/<ip>:${port}/\`
  and \`/etc/containers/certs.d/<ip>:${port}/\`. containerd reads them on every pull when its
  registry \`config_path\` points there (\`containerd config dump | grep config_path\`).
- Clients (docker, skopeo, crane) need the same CA:

      kubectl -n registry get secret ${fullname}-tls -o jsonpath='{.data.ca\\.crt}' | base64 -d > ca.crt
      IP=$(kubectl -n registry get service ${v.service.name} -o jsonpath='{.spec.clusterIP}')
      sudo mkdir -p /etc/docker/certs.d/$IP:${port} && sudo cp ca.crt /etc/docker/certs.d/$IP:${port}/ca.crt

Set \`service.clusterIP\` to keep the address (and the trust files) stable if the Service
is ever re-created.

Object names above are for the release name \`creg\`; for another release they start
with \`<release>-${chart.name}\` (or the release name alone when it contains \`${chart.name}\`).

## The signer program

\`files/signer.js\` is the program behind the signer hook Job and the registry pods'
\`tls-setup\` init container. It is the bundle of creg-chart's \`src/signer/main.ts\`
and the PKI code it shares with the \`creg-chart\` CLI, with node-forge (RSA keys,
X.509) included; it is not minified, so it reads as code (about 650 KiB; the
ConfigMap that carries it caps at 1 MiB, and the build refuses a bundle over 900 KiB).
It talks only to the Kubernetes API (the Service, the CA and TLS Secrets, the CA
ConfigMap, the registry pods) with the Job's service account.

\`Chart.yaml\` carries its sha256 in the annotation \`creg-chart/signer-sha256\`
and the creg-chart version that built it in \`creg-chart/built-by\`. To check that
the shipped file is what the source builds (the bundle is byte-for-byte
reproducible):

    sha256sum files/signer.js                      # equals creg-chart/signer-sha256
    git clone <creg-chart repository> && cd creg-chart && git checkout <version in creg-chart/built-by>
    npm ci && npm run compile && sha256sum dist/signer/signer.js

## Uninstall

    helm uninstall creg -n registry

The CA Secret is kept on purpose (a re-install keeps client trust); delete it by hand
to start over. Images stay on the NFS export.

## Values

${sections.join('\n\n')}
`;
}

function badge(s: string): string {
  return encodeURIComponent(s.replace(/-/g, '--').replace(/_/g, '__'));
}
