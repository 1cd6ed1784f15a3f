// KEP-1755 discovery in the signer (src/signer/discovery.mts): the document,
// the configuration it reads from the hook's env, and the decision to create,
// update, keep, or refuse kube-public/local-registry-hosting. Pure: the real
// API server part is test/cluster/discovery.test.mjs.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import {
  DISCOVERY_KEY, DISCOVERY_OWNER_ANNOTATION, decideDiscovery, discoveryDocument, readDiscoveryConfig,
} from '../dist/signer/discovery.mjs';

const OWNER = 'registry/eyoh-creg';
const ours = (doc, owner = OWNER) => ({
  metadata: { labels: { 'app.kubernetes.io/managed-by': 'creg-chart-signer' }, annotations: { [DISCOVERY_OWNER_ANNOTATION]: owner } },
  data: { [DISCOVERY_KEY]: doc },
});

test('the document follows KEP-1755 and is YAML a tool can read', () => {
  const doc = discoveryDocument({ clusterIp: '10.96.0.50', port: 5000, service: 'registry-svc', namespace: 'registry', help: 'https://example.test/docs' });
  assert.equal(parse(doc), {
    host: '10.96.0.50:5000',
    hostFromContainerRuntime: '10.96.0.50:5000',
    hostFromClusterNetwork: 'registry-svc.registry.svc:5000',
    help: 'https://example.test/docs',
  });
  assert.equal(parse(discoveryDocument({ clusterIp: 'fd00::5', port: 443, service: 's', namespace: 'n', help: '' })), {
    host: '[fd00::5]:443', hostFromContainerRuntime: '[fd00::5]:443', hostFromClusterNetwork: 's.n.svc:443',
  });
});

test('config: off unless DISCOVERY=true; port and help checked when on', () => {
  assert.is(readDiscoveryConfig({}, 'registry', 'eyoh-creg').enabled, false);
  assert.equal(readDiscoveryConfig({ DISCOVERY: 'true', REGISTRY_PORT: '5000', DISCOVERY_HELP: 'https://x.test' }, 'registry', 'eyoh-creg'), {
    enabled: true, owner: OWNER, port: 5000, help: 'https://x.test',
  });
  assert.throws(() => readDiscoveryConfig({ DISCOVERY: 'true', REGISTRY_PORT: '70000' }, 'n', 'w'), /REGISTRY_PORT="70000" must be the registry's Service port/);
  assert.throws(() => readDiscoveryConfig({ DISCOVERY: 'true', REGISTRY_PORT: '5000', DISCOVERY_HELP: 'javascript:alert(1)' }, 'n', 'w'), /DISCOVERY_HELP="javascript:alert\(1\)" must be an http\(s\) URL/);
});

test('decision: create when absent, keep when equal, update on a new ClusterIP, refuse what another tool or release made', () => {
  const doc = discoveryDocument({ clusterIp: '10.96.0.50', port: 5000, service: 'registry-svc', namespace: 'registry', help: '' });
  const moved = discoveryDocument({ clusterIp: '10.96.0.77', port: 5000, service: 'registry-svc', namespace: 'registry', help: '' });
  assert.is(decideDiscovery(null, doc, OWNER).action, 'create');
  assert.is(decideDiscovery(ours(doc), doc, OWNER).action, 'keep');
  const u = decideDiscovery(ours(doc), moved, OWNER);
  assert.is(u.action, 'update');
  assert.match(u.reason, /points at "host: \\"10\.96\.0\.50:5000\\"/);
  const extra = ours(doc);
  extra.data.other = 'x';
  assert.is(decideDiscovery(extra, doc, OWNER).action, 'update');
  const kind = decideDiscovery({ metadata: {}, data: { [DISCOVERY_KEY]: 'host: "localhost:5001"\n' } }, doc, OWNER);
  assert.is(kind.action, 'refuse');
  assert.match(kind.reason, /exists but was not made by the creg-chart signer .*\(kubectl -n kube-public delete configmap local-registry-hosting\) or set discovery\.enabled=false/);
  const other = decideDiscovery(ours(doc, 'hub/hub-creg'), doc, OWNER);
  assert.is(other.action, 'refuse');
  assert.match(other.reason, /published by the creg-chart release hub\/hub-creg, not registry\/eyoh-creg; KEP-1755 allows one local registry per cluster/);
});

test.run();
