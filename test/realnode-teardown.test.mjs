// The real-node teardown script (test/cluster/realnode.mjs teardownScriptText)
// is run by `sh` after a test, or by the lock's watchdog when the test process
// died: a syntax error would stop it half-way (found the hard way: a quote in
// a comment left two network namespaces and the temp root behind). Every
// variant must parse with `sh -n`, and name what it must remove.
import { spawnSync } from 'node:child_process';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { teardownScriptText } from './cluster/realnode.mjs';

const base = {
  root: "/tmp/creg-cluster-it's", pids: [1234, 5678], bin: '/opt/bin', cniNetwork: 'creg-realnode-1',
  sysctls: { 'net/ipv4/ip_forward': '0' }, netnsBefore: ['/run/netns/cni-a'], shimSocketsBefore: ['/run/containerd/s/x'],
  dirsCreated: ['/run/netns'],
};
const variants = {
  'one node in the host namespace': { ...base, bridge: 'cni0' },
  'two nodes in their own namespaces': {
    ...base, bridge: null, netns: ['creg-node-1', 'creg-node-2'], netnsLinks: ['creg-n1', 'creg-n2'],
    cniNetworks: ['creg-realnode-1', 'creg-realnode-2'],
  },
  'kept temp root': { ...base, bridge: 'cni0', keep: true },
};

for (const [name, state] of Object.entries(variants)) {
  test(`teardown script parses with sh -n: ${name}`, () => {
    const text = teardownScriptText(state);
    const r = spawnSync('sh', ['-n'], { input: text, encoding: 'utf8' });
    assert.is(r.status, 0, `${r.stderr}\n${text}`);
    assert.match(text, /exit 0\n$/);
    for (const ns of state.netns || []) assert.match(text, new RegExp(`ip netns del '${ns}'`));
    for (const l of state.netnsLinks || []) assert.match(text, new RegExp(`ip link del '${l}'`));
    for (const n of state.cniNetworks || []) assert.ok(text.includes(`/var/lib/cni/results/'${n}'-*`), n);
    if (state.bridge === null) assert.not.match(text, /ip link del 'cni0'/);
    else assert.match(text, /ip link del 'cni0'/);
  });
}

test.run();
