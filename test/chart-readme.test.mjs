// The chart's generated README.md and Chart.yaml, checked against the schema
// and the values the chart was built with: every top-level value and every
// schema leaf documented with its default; Artifact Hub annotations listing
// exactly the images the rendered manifests run (Helm 4 and Helm 3).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { buildChart } from '../dist/build/pipeline.js';
import { codeSpan, valueRows } from '../dist/render/chart-readme.js';
import { HELMS, SCHEMA_FILE, helmTemplate, runHelm, tempDir } from './helpers/chart.mjs';

const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8'));
const work = tempDir('creg-readme-test-');
test.after(() => rmSync(work, { recursive: true, force: true }));

const override = join(work, 'override.yaml');
writeFileSync(override, 'registry:\n  image: {repository: my.mirror:5000/library/registry, tag: "2.8.2"}\nsigner:\n  image: {tag: 22-alpine}\nnodeLabel: {key: example.com/registry, value: "yes"}\n');

let builds;
try {
  builds = {
    defaults: await buildChart({ outputDir: join(work, 'defaults') }),
    override: await buildChart({ outputDir: join(work, 'override'), valuesFiles: [override], chartVersion: '1.2.3-rc.1' }),
  };
} catch (err) {
  rmSync(work, { recursive: true, force: true }); // test.after never runs when this throws
  throw err;
}

/** Every schema leaf path (no sub-properties), and every top-level key. */
function schemaLeaves(node, path = []) {
  return Object.entries(node.properties ?? {}).flatMap(([k, child]) => (child.properties ? schemaLeaves(child, [...path, k]) : [[...path, k].join('.')]));
}
const valueAt = (values, key) => key.split('.').reduce((cur, k) => cur?.[k], values);

/** All images of all pod specs in rendered objects (hooks and test pods included). */
function imagesOf(objects) {
  const images = new Set();
  for (const o of objects) {
    const spec = o.kind === 'Pod' ? o.spec : o.spec?.template?.spec;
    for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) images.add(c.image);
  }
  return images;
}

for (const [name, built] of Object.entries(builds)) {
  const chartYaml = parse(readFileSync(join(built.chartDir, 'Chart.yaml'), 'utf8'));
  const readme = readFileSync(join(built.chartDir, 'README.md'), 'utf8');

  test(`[${name}] README.md documents every top-level value and every schema leaf, with the built defaults`, () => {
    const leaves = schemaLeaves(schema);
    assert.ok(leaves.length > 50, `only ${leaves.length} leaves?`);
    for (const top of Object.keys(schema.properties)) {
      const documented = readme.includes(`### \`${top}\``) || readme.includes(`| \`${top}\` |`);
      assert.ok(documented, `top-level value ${top} is not in README.md`);
    }
    for (const leaf of leaves) {
      const row = readme.split('\n').find((l) => l.startsWith(`| \`${leaf}\` |`));
      assert.ok(row, `${leaf} has no row in README.md`);
      const cells = row.split(/(?<!\\)\|/).map((c) => c.trim());
      assert.ok(cells[4] && cells[4].length > 5, `${leaf} has no description`);
      const value = valueAt(built.values, leaf);
      const expected = value === undefined ? '(unset)' : `\`${JSON.stringify(value).replace(/\|/g, '\\|')}\``;
      assert.is(cells[3], expected, `${leaf} default`);
    }
    assert.is(valueRows(schema, built.values).length, leaves.length);
  });

  test(`[${name}] README.md has install, upgrade, per-cluster, trust and test instructions for this chart`, () => {
    for (const heading of ['## Install', '## Upgrade', '## Per-cluster values', '## Trust (nodes and clients)', '## Values']) {
      assert.ok(readme.includes(heading), heading);
    }
    assert.ok(readme.includes(`--version ${chartYaml.version}`));
    const label = `${built.values.nodeLabel.key}=${built.values.nodeLabel.value}`;
    assert.ok(readme.includes(`kubectl label nodes NODE ${label}`), label);
    assert.ok(readme.includes('creg-chart validate -f base.yaml --cluster-dir clusters/'));
    assert.ok(readme.includes('helm test creg -n registry'));
    assert.not.match(readme, /\{\{|undefined|\[object Object\]/);
  });

  test(`[${name}] Chart.yaml: kubeVersion, appVersion = registry tag, Artifact Hub annotations`, () => {
    assert.is(chartYaml.kubeVersion, '>=1.24.0-0');
    assert.is(chartYaml.appVersion, built.values.registry.image.tag);
    const a = chartYaml.annotations;
    assert.is(a['artifacthub.io/license'], 'Apache-2.0');
    const links = parse(a['artifacthub.io/links']);
    assert.ok(links.length >= 1 && links.every((l) => l.name && /^https:\/\//.test(l.url)), 'links');
    assert.is(a['artifacthub.io/prerelease'], String(chartYaml.version.includes('-')));
    const listed = parse(a['artifacthub.io/images']);
    assert.ok(listed.every((i) => i.name && i.image));
    const v = built.values;
    for (const [imgName, img] of [['registry', v.registry.image], ['signer', v.signer.image], ['nas-mount', v.nas.mounter.image], ['node-trust', v.nodeTrust.image]]) {
      assert.is(listed.find((i) => i.name === imgName)?.image, `${img.repository}:${img.tag}`, imgName);
    }
  });

  for (const h of HELMS) {
    test(`[${name}] [${h.label}] the annotated images are exactly the images the chart runs; lint --strict passes`, () => {
      const listed = new Set(parse(parse(readFileSync(join(built.chartDir, 'Chart.yaml'), 'utf8')).annotations['artifacthub.io/images']).map((i) => i.image));
      const rendered = imagesOf(helmTemplate(h.bin, built.tgzPath));
      assert.equal([...rendered].sort(), [...listed].sort());
      const lint = runHelm(h.bin, ['lint', '--strict', built.tgzPath]);
      assert.is(lint.status, 0, lint.stdout + lint.stderr);
    });
  }
}

test('the built values.yaml is written for Helm\'s YAML 1.1 reader: the string "yes" stays quoted', () => {
  const text = readFileSync(join(builds.override.chartDir, 'values.yaml'), 'utf8');
  assert.match(text, /^  value: "yes"$/m);
  assert.is(builds.override.values.nodeLabel.value, 'yes');
});

test('the packaged .tgz carries README.md', () => {
  const r = runHelm(HELMS[0].bin, ['show', 'readme', builds.defaults.tgzPath]);
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^# creg\n/);
});

/** The text of a CommonMark code span (spec 6.1), or undefined when `span` is not exactly one. */
function codeSpanText(span) {
  const fence = /^`+/.exec(span)?.[0];
  if (!fence || !span.endsWith(fence) || span.length < 2 * fence.length) return undefined;
  let inner = span.slice(fence.length, -fence.length);
  // No backtick run of the fence's length inside, and the fences are not part of longer runs.
  if ((inner.match(/`+/g) ?? []).some((r) => r.length === fence.length)) return undefined;
  if (/^`/.test(inner) || /`$/.test(inner)) return undefined;
  if (inner.length > 1 && inner.startsWith(' ') && inner.endsWith(' ') && inner.trim() !== '') inner = inner.slice(1, -1);
  return inner;
}

test('values holding backticks stay one code span in the chart README (CommonMark)', async () => {
  for (const text of ['a`b', '``', '`start', 'end`', 'x ``` y', '` both `', 'plain']) {
    assert.is(codeSpanText(codeSpan(text)), text, JSON.stringify(text));
  }
  assert.is(codeSpan('a\u2028b\nc'), '`a\\u2028b\\nc`', 'line separators shown as escapes');
  const out = tempDir('creg-readme-ticks-');
  try {
    const { chartDir } = await buildChart({ outputDir: out, setString: ['registry.extraEnv[0].name=A,registry.extraEnv[0].value=x``y`|z'] });
    const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
    const row = readme.split('\n').find((l) => l.startsWith('| `registry.extraEnv` |'));
    assert.ok(row, 'the extraEnv row');
    const cells = row.split(/(?<!\\)\|/).map((c) => c.trim());
    assert.is(codeSpanText(cells[3].replace(/\\\|/g, '|')), JSON.stringify([{ name: 'A', value: 'x``y`|z' }]));
  } finally { rmSync(out, { recursive: true, force: true }); }
});

test.run();
