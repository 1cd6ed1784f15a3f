// The third-party judges operators and chart repositories run on a chart,
// run here on the chart `creg-chart build` makes for the built-in defaults and
// for every golden example (examples/<name>/values.yaml):
//
//   ct lint      chart-testing (helm lint + yamllint with ct's own lintconf.yaml
//                on Chart.yaml and values.yaml). yamale, which ct uses to check
//                Chart.yaml against its chart_schema.yaml, is a Python package
//                that Debian does not ship and PyPI is not reachable here, so
//                --validate-chart-schema=false; --validate-maintainers=false and
//                --check-version-increment=false because both need a git remote
//                and the network. Must pass.
//   kube-score   on the manifests the real helm renders; it cannot read
//                ReplicationControllers, so the registry pod of an RC chart is
//                scored through the Deployment rendering of the same values
//                (--set registry.kind=Deployment: the same pod template).
//   trivy config on the packaged .tgz, on the chart folder and on the rendered
//                manifests (one file per object), offline on its embedded checks.
//
// Every finding must be listed in docs/accepted-findings.yaml (object, judge,
// check id, reason, what compensates); a finding that is not fails the test,
// and so does an accepted entry that no judge reports any more (the list must
// stay true). polaris is not in the list of judges: the Go module proxy does
// not serve it (docs/accepted-findings.yaml says which trivy checks cover its
// checks).
//
// Judges are built by scripts/build-judges.sh (Go module proxy, cached in
// ~/.cache/creg-chart). Without them the tests are skipped, except under
// CI=true, where a missing judge fails with the command that builds it.
//
//   node test/run.mjs judges                  # JUDGES_REPORT=file.json also writes every finding
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { HELMS, ROOT, buildChart, parseManifests, runHelm, tempDir } from './helpers/chart.mjs';

const CI = process.env.CI === 'true';
const RELEASE = 'registry';
const NAMESPACE = 'registry';
const ACCEPTED_FILE = join(ROOT, 'docs', 'accepted-findings.yaml');
const TOOLS_ROOT = process.env.CREG_TOOLS_DIR || join(homedir(), '.cache', 'creg-chart');
const HELM = HELMS[0];

// ------------------------------------------------------------------ judges

const versions = Object.fromEntries(readFileSync(join(ROOT, 'test', 'judges', 'tools', 'versions.env'), 'utf8')
  .split('\n').filter((l) => /^[A-Z_]+=/.test(l)).map((l) => l.split('=')));
const versionOf = (spec) => spec.slice(spec.lastIndexOf('@') + 1);
const which = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).stdout.trim();

const JUDGES = {
  'kube-score': {
    version: versionOf(versions.KUBE_SCORE),
    bin: join(TOOLS_ROOT, `kube-score-${versionOf(versions.KUBE_SCORE)}`, 'kube-score'),
    build: 'bash scripts/build-judges.sh kube-score',
  },
  trivy: {
    version: versionOf(versions.TRIVY),
    bin: join(TOOLS_ROOT, `trivy-${versionOf(versions.TRIVY)}`, 'trivy'),
    build: 'bash scripts/build-judges.sh trivy',
  },
  ct: {
    version: versionOf(versions.CT),
    bin: join(TOOLS_ROOT, `ct-${versionOf(versions.CT)}`, 'ct'),
    etc: join(TOOLS_ROOT, `ct-${versionOf(versions.CT)}`, 'etc'),
    build: 'bash scripts/build-judges.sh ct',
  },
  yamllint: { bin: which('yamllint'), build: 'apt-get install yamllint' },
};
const missing = (name) => !JUDGES[name].bin || !existsSync(JUDGES[name].bin);

/** A test that needs `names`: skipped when one is missing, failing under CI=true. */
function judged(names, title, fn) {
  const absent = names.filter(missing);
  if (absent.length === 0) return test(title, fn);
  if (CI) {
    return test(title, () => {
      assert.unreachable(`CI=true and ${absent.join(', ')} ${absent.length > 1 ? 'are' : 'is'} missing; build with: ${absent.map((n) => JUDGES[n].build).join(' && ')}`);
    });
  }
  console.log(`[judges] ${title}: skipped, ${absent.join(', ')} missing (${absent.map((n) => JUDGES[n].build).join('; ')})`);
  return test.skip(title, fn);
}

function run(bin, args, opts = {}) {
  const r = spawnSync(bin, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 10 * 60 * 1000, ...opts });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, out: `${r.stdout}${r.stderr}` };
}

// ------------------------------------------------------------------ charts

const work = tempDir('creg-judges-');
const EXAMPLES = join(ROOT, 'examples');
const charts = [
  { name: 'default', valuesFiles: [] },
  ...readdirSync(EXAMPLES, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort()
    .map((name) => ({ name: `examples/${name}`, valuesFiles: [join(EXAMPLES, name, 'values.yaml')] })),
];

/**
 * Release-independent object key: Kind/short name, the name without "<release>-creg-" (trivy
 * renders a chart as the release "creg", this test as "registry"); the registry workload, named
 * "<release>-creg", is "registry".
 */
function keyOf(kind, name) {
  const short = name === 'creg' || name.endsWith('-creg') ? 'registry' : name.replace(/^(?:[a-z0-9-]*?-)?creg-/, '');
  return `${kind}/${short}`;
}

function template(chartDir, args = []) {
  const r = runHelm(HELM.bin, ['template', RELEASE, chartDir, '--namespace', NAMESPACE, ...args]);
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return r.stdout;
}

/** Which objects each template file renders (from helm's "# Source:" comments). */
function objectsBySource(text) {
  const map = new Map();
  for (const doc of text.split(/^---\s*$/m)) {
    const src = /^# Source: [^/]+\/(.+)$/m.exec(doc)?.[1];
    const objs = parseManifests(doc);
    if (!src || objs.length === 0) continue;
    map.set(src, [...(map.get(src) ?? []), ...objs.map((o) => keyOf(o.kind, o.metadata.name))]);
  }
  return map;
}

const built = [];
test('build every chart and render it with the real helm', async () => {
  for (const c of charts) {
    const dir = join(work, c.name.replace('/', '-'));
    const { chartDir, tgzPath, values } = await buildChart({ valuesFiles: c.valuesFiles, outputDir: dir });
    const text = template(chartDir);
    const objects = parseManifests(text);
    const rendered = join(dir, 'rendered');
    mkdirSync(rendered);
    objects.forEach((o, i) => writeFileSync(join(rendered, `${String(i).padStart(2, '0')}-${keyOf(o.kind, o.metadata.name).replace('/', '-')}.yaml`), stringify(o, { lineWidth: 0, version: '1.1' })));
    // kube-score ignores ReplicationControllers: score their pod template as the Deployment of the same values.
    let asDeployment;
    if (values.registry.kind !== 'Deployment') {
      const dep = parseManifests(template(chartDir, ['--set', 'registry.kind=Deployment'])).filter((o) => o.kind === 'Deployment' && o.metadata.name === `${RELEASE}-creg`);
      assert.is(dep.length, 1, 'the Deployment rendering has the registry Deployment');
      asDeployment = join(dir, 'registry-as-deployment.yaml');
      writeFileSync(asDeployment, stringify(dep[0], { lineWidth: 0, version: '1.1' }));
      const rc = objects.find((o) => o.kind === 'ReplicationController');
      assert.equal(dep[0].spec.template.spec, rc.spec.template.spec, 'the Deployment rendering runs the same pod as the ReplicationController');
    }
    const containers = objects.flatMap((o) => {
      const pod = o.kind === 'Pod' ? o.spec : o.spec?.template?.spec;
      return pod ? [...(pod.initContainers ?? []), ...pod.containers].map((x) => `${keyOf(o.kind, o.metadata.name)}:${x.name}`) : [];
    });
    built.push({ ...c, chartDir, tgzPath, values, rendered, asDeployment, sources: objectsBySource(text), containers, findings: [] });
  }
  assert.is(built.length, charts.length);
});

// ------------------------------------------------------------------ ct lint

for (const c of charts) {
  judged(['ct', 'yamllint'], `${c.name}: ct lint passes (helm lint, yamllint with ct's lintconf on Chart.yaml and values.yaml)`, () => {
    const b = built.find((x) => x.name === c.name);
    const helmDir = join(ROOT, 'node_modules', '.creg-chart', 'helm4');
    const r = run(JUDGES.ct.bin, ['lint', '--charts', b.chartDir,
      '--validate-chart-schema=false', '--validate-maintainers=false', '--check-version-increment=false',
      '--lint-conf', join(JUDGES.ct.etc, 'lintconf.yaml'), '--chart-yaml-schema', join(JUDGES.ct.etc, 'chart_schema.yaml')], {
      cwd: work,
      env: {
        ...process.env,
        PATH: `${helmDir}:${process.env.PATH}`,
        HELM_CACHE_HOME: join(work, 'helm-cache'), HELM_CONFIG_HOME: join(work, 'helm-config'), HELM_DATA_HOME: join(work, 'helm-data'),
        KUBECONFIG: '/dev/null',
      },
    });
    assert.is(r.status, 0, `ct lint failed:\n${r.out}`);
    assert.match(r.out, 'All charts linted successfully');
    assert.not.match(r.out, /yamllint: command not found|executable file not found/);
  });
}

// ------------------------------------------------------------------ kube-score

function kubeScore(files) {
  const r = run(JUDGES['kube-score'].bin, ['score', '--output-format', 'json', ...files]);
  // Exit 1 means "critical findings", not an error; anything else is.
  if (r.status !== 0 && r.status !== 1) throw new Error(`kube-score failed (${r.status}): ${r.stderr}`);
  const findings = [];
  for (const obj of JSON.parse(r.stdout)) {
    let key = keyOf(obj.type_meta.kind, obj.object_meta.name);
    for (const c of obj.checks) {
      if (c.skipped || c.grade >= 7) continue; // 1 CRITICAL, 5 WARNING, 7 almost OK, 10 OK
      const severity = c.grade <= 1 ? 'CRITICAL' : 'WARNING';
      for (const cm of c.comments?.length ? c.comments : [{ path: '', summary: c.check.name }]) {
        findings.push({ judge: 'kube-score', source: 'rendered', object: key, container: cm.path || undefined, id: c.check.id, severity, message: cm.summary });
      }
    }
  }
  return findings;
}

for (const c of charts) {
  judged(['kube-score'], `${c.name}: kube-score on the rendered manifests (the registry pod included)`, () => {
    const b = built.find((x) => x.name === c.name);
    const files = readdirSync(b.rendered).map((f) => join(b.rendered, f));
    // With an RC chart, the registry's Deployment rendering stands in for the RC (kube-score ignores
    // RCs), so that the Service, PDB and NetworkPolicy checks see the registry pods too; its findings
    // are reported under the RC that runs that pod.
    let findings = kubeScore(b.asDeployment ? [...files, b.asDeployment] : files);
    if (b.asDeployment) {
      findings = findings.map((f) => (f.object === 'Deployment/registry'
        ? { ...f, object: 'ReplicationController/registry', message: `${f.message} (scored as its Deployment rendering)` } : f));
    }
    // Proof that kube-score read the registry pod: its container checks ran on it.
    const r = run(JUDGES['kube-score'].bin, ['score', '--output-format', 'json', b.asDeployment ?? files.find((f) => f.endsWith('-Deployment-registry.yaml'))]);
    const scored = JSON.parse(r.stdout).find((o) => o.type_meta.kind === 'Deployment');
    assert.ok(scored?.checks.some((ch) => ch.check.id === 'container-security-context-readonlyrootfilesystem' && !ch.skipped), 'kube-score scored the registry pod');
    b.findings.push(...findings);
  });
}

// ------------------------------------------------------------------ trivy

function trivy(target, b) {
  const cache = join(work, 'trivy-cache');
  const r = run(JUDGES.trivy.bin, ['config', '--format', 'json', '--skip-check-update', '--skip-version-check', '--disable-telemetry', '--cache-dir', cache, target],
    { env: { ...process.env, HOME: work } });
  if (r.status !== 0) throw new Error(`trivy config ${target} failed (${r.status}): ${r.stderr}`);
  const report = JSON.parse(r.stdout);
  const findings = [];
  let scanned = 0;
  for (const res of report.Results ?? []) {
    scanned += 1;
    for (const m of res.Misconfigurations ?? []) {
      if (m.Status && m.Status !== 'FAIL') continue;
      let object;
      const named = /of (\w+) '([^']+)'/.exec(m.Message ?? '') ?? /^(?!Container )(\w+) '([^']+)'/.exec(m.Message ?? '');
      if (named) object = keyOf(named[1], named[2]);
      const file = res.Target.replace(/^.*?templates\//, 'templates/');
      if (!object && b.sources.has(file) && b.sources.get(file).length === 1) object = b.sources.get(file)[0];
      if (!object) {
        // rendered/NN-Kind-short.yaml
        const m2 = /\d\d-([A-Za-z]+)-(.+)\.yaml$/.exec(res.Target);
        if (m2) object = `${m2[1]}/${m2[2]}`;
      }
      findings.push({
        judge: 'trivy', object: object ?? res.Target, container: /[Cc]ontainer '([^']+)'/.exec(m.Message ?? '')?.[1],
        id: m.ID, severity: m.Severity, message: m.Message, target: res.Target,
      });
    }
  }
  return { findings, scanned, log: r.stderr };
}

for (const c of charts) {
  judged(['trivy'], `${c.name}: trivy config on the .tgz, the chart folder and the rendered manifests`, () => {
    const b = built.find((x) => x.name === c.name);
    const tgz = trivy(b.tgzPath, b);
    const folder = trivy(b.chartDir, b);
    const rendered = trivy(b.rendered, b);
    // trivy reports nothing at all for a chart it could not load: it must have scanned the templates.
    assert.ok(tgz.findings.length > 0, `trivy found nothing in ${b.tgzPath}: did it load the chart?`);
    const ids = (f) => [...new Set(f.map((x) => `${x.object} ${x.id}`))].sort();
    // The .tgz scan (trivy renders the chart itself) sees every object the rendered scan does.
    assert.equal(ids(tgz.findings).filter((x) => !ids(rendered.findings).includes(x)), [], 'the .tgz scan finds nothing the rendered one does not');
    assert.equal([...new Set(rendered.findings.map((f) => f.object))].filter((o) => !tgz.findings.some((f) => f.object === o)), [], 'every object with findings in the rendered manifests has them in the .tgz scan');
    if (folder.findings.length === 0) {
      // trivy v0.74 loads only *.tpl, *.json, *.y(a)ml, Chart.yaml and .helmignore of a chart folder
      // (pkg/fanal/analyzer/config/helm/helm.go, acceptedExts), so files/node-trust.sh and
      // files/signer.js are missing from its view, and the templates refuse to render without them
      // (never a half-working install): trivy skips the folder with a WARN. Scan the .tgz instead.
      assert.match(folder.log, /Skipping chart.*files\/(node-trust\.sh|node-mirror\.sh|signer\.js)( or files\/node-mirror\.sh)? is missing/, `the chart folder scan found nothing for another reason:\n${folder.log}`);
    } else {
      assert.equal(ids(folder.findings), ids(tgz.findings), 'the chart folder and the .tgz get the same findings');
    }
    b.findings.push(...tgz.findings.map((f) => ({ ...f, source: 'tgz' })), ...folder.findings.map((f) => ({ ...f, source: 'folder' })),
      ...rendered.findings.map((f) => ({ ...f, source: 'rendered' })));
  });
}

// ------------------------------------------------------------------ accepted findings

const accepted = parseYaml(readFileSync(ACCEPTED_FILE, 'utf8'), { merge: true });

/** The accepted entries as flat rules: {object, judge, id, container?, reason, compensates}. */
function rules() {
  const out = [];
  for (const [object, entries] of Object.entries(accepted.objects ?? {})) {
    for (const e of entries ?? []) {
      for (const id of [e.id].flat()) out.push({ object, judge: e.judge, id, container: e.container, reason: e.reason, compensates: e.compensates, pending: e.pending, hits: 0 });
    }
  }
  return out;
}

test('docs/accepted-findings.yaml: every entry has an object, judge, check id, reason and what compensates', () => {
  const all = rules();
  assert.ok(all.length > 0);
  for (const r of all) {
    assert.ok(/^[A-Za-z]+\/[a-z0-9-]+$/.test(r.object), `object "${r.object}": write Kind/name (name without "<release>-creg-")`);
    assert.ok(['kube-score', 'trivy'].includes(r.judge), `${r.object}: judge "${r.judge}"`);
    assert.ok(typeof r.id === 'string' && r.id, `${r.object}: id`);
    assert.ok(typeof r.reason === 'string' && r.reason.length > 20, `${r.object} ${r.id}: reason`);
    assert.ok(typeof r.compensates === 'string' && r.compensates.length > 5, `${r.object} ${r.id}: compensates`);
  }
});

// Judges the findings of the judges present (all of them under CI=true, where a missing one fails above).
const present = ['kube-score', 'trivy'].filter((n) => !missing(n));
judged(present.length ? present : ['kube-score', 'trivy'], 'every finding of every judge on every chart is an accepted one, and every accepted one is still found', () => {
  const all = rules().filter((r) => present.includes(r.judge));
  const unaccepted = [];
  for (const b of built) {
    for (const f of b.findings) {
      const hit = all.filter((r) => r.judge === f.judge && r.object === f.object && r.id === f.id && (!r.container || !f.container || r.container === f.container));
      if (hit.length === 0) unaccepted.push(`${b.name} [${f.source}] ${f.judge} ${f.severity} ${f.object}${f.container ? ` (${f.container})` : ''} ${f.id}: ${f.message}`);
      for (const r of hit) r.hits += 1;
    }
  }
  const stale = all.filter((r) => r.hits === 0).map((r) => `${r.object} ${r.judge} ${r.id}${r.container ? ` (${r.container})` : ''}${r.pending ? ` [pending: ${r.pending}]` : ''}`);
  const report = summary();
  console.log(report);
  if (process.env.JUDGES_REPORT) writeFileSync(process.env.JUDGES_REPORT, JSON.stringify(built.map((b) => ({ chart: b.name, containers: b.containers, findings: b.findings })), null, 2));
  assert.ok(unaccepted.length === 0, `${unaccepted.length} findings are not in docs/accepted-findings.yaml (fix the chart, or add them there with the reason and what compensates):\n  ${unaccepted.join('\n  ')}`);
  assert.ok(stale.length === 0, `accepted findings that no judge reports any more (remove them from docs/accepted-findings.yaml):\n  ${stale.join('\n  ')}`);
});

/** Counts per chart and judge, for the README's comparison table. */
function summary() {
  const lines = ['', 'judge findings (unique per object, container and check):'];
  for (const b of built) {
    const uniq = (src, judge) => [...new Map(b.findings.filter((f) => f.source === src && f.judge === judge)
      .map((f) => [`${f.object}|${f.container}|${f.id}`, f])).values()];
    const bySev = (fs) => Object.entries(fs.reduce((a, f) => ({ ...a, [f.severity]: (a[f.severity] ?? 0) + 1 }), {})).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`  ${b.name} (${b.containers.length} containers${b.asDeployment ? ', registry scored as a Deployment' : ''}):`);
    lines.push(`    kube-score: ${bySev(uniq('rendered', 'kube-score')) || 'none'}`);
    for (const src of ['rendered', 'tgz', 'folder']) lines.push(`    trivy ${src}: ${bySev(uniq(src, 'trivy')) || 'none'}`);
  }
  return lines.join('\n');
}

test('judges cleaned up', () => {
  rmSync(work, { recursive: true, force: true });
});

test.run();
