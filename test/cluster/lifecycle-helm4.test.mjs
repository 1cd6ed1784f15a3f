// The chart's install / signer / upgrade / rollback / uninstall life in a real
// control plane with Helm 4: see test/cluster/lifecycle.mjs.
import { test } from 'uvu';
import { clusterTestsEnabled } from './harness.mjs';
import { defineLifecycleTests } from './lifecycle.mjs';

if (clusterTestsEnabled(test, 'test/cluster/lifecycle-helm4.test.mjs')) {
  defineLifecycleTests(test, 'helm4');
  test.run();
}
