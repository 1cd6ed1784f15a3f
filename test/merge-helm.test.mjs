// Our values merging (src/values/merge.ts, set.ts, sources.ts) against
// Helm's own: a tiny chart whose values.yaml is our built-in defaults and
// whose only template prints `{{ toJson .Values }}`, rendered by the real
// Helm 3.17 and Helm 4.1 with the same -f files and --set flags.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadValuesFile, mergeValues, parseSetArgument } from '../dist/values/index.js';
import { HELMS, DEFAULTS_FILE, runHelm, tempDir } from './helpers/chart.mjs';

const work = tempDir('creg-merge-helm-');
const chart = join(work, 'echo');
mkdirSync(join(chart, 'templates'), { recursive: true });
writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: echo\nversion: 0.1.0\n');
writeFileSync(join(chart, 'templates', 'values.json'), '{{ toJson .Values }}\n');
copyFileSync(DEFAULTS_FILE, join(chart, 'values.yaml'));
test.after(() => rmSync(work, { recursive: true, force: true }));

/** Writes the case's files; returns the helm flags and our result (or our error). */
function prepare(name, { files = [], set = [], setString = [] }) {
  const paths = files.map((text, i) => {
    const p = join(work, `${name}-${i}.yaml`);
    writeFileSync(p, text);
    return p;
  });
  const args = [...paths.flatMap((p) => ['-f', p]), ...set.flatMap((s) => ['--set', s]), ...setString.flatMap((s) => ['--set-string', s])];
  let ours;
  let ourError;
  try {
    const sources = [loadValuesFile(DEFAULTS_FILE), ...paths.map((p) => loadValuesFile(p)), ...set.map((s) => parseSetArgument(s, '--set')), ...setString.map((s) => parseSetArgument(s, '--set-string'))];
    ours = JSON.parse(JSON.stringify(mergeValues(sources)));
  } catch (e) {
    ourError = e;
  }
  return { args, ours, ourError };
}

function helmValues(bin, args) {
  const r = runHelm(bin, ['template', 'r', chart, ...args]);
  if (r.status !== 0) return { error: r.stderr.trim() };
  const json = r.stdout.split('\n').find((l) => l.startsWith('{'));
  return { values: JSON.parse(json) };
}

const CASES = {
  'maps merge key by key, lists replace, later files win': {
    files: [
      'nas:\n  server: nas-a.example\n  mountOptions: [nfsvers=3]\nregistry:\n  port: 5001\n  image: {tag: "2.8.2"}\n',
      'registry:\n  port: 5002\n  replicas: 2\n',
    ],
  },
  'null deletes a default key only at the end, so a later file adds to the defaults again': {
    files: [
      'nas: null\ntolerations: null\nsigner: {resources: null}\nextra: {kept: null, x: 1}\n',
      'nas:\n  server: nas-b.example\n',
    ],
  },
  '--set writes into lists and maps that the files gave, after the files': {
    files: ['nas:\n  mountOptions: [a, b, c]\nnodeTrust:\n  tolerations:\n    - operator: Exists\n'],
    set: [
      'nas.mountOptions[1]=soft,registry.port=6000',
      'nodeTrust.tolerations[0].effect=NoSchedule,nodeLabel.value=0123',
      'x\\.y=1,l={a,b},b=true,n=null,registry.image.repository=null',
    ],
    setString: ['registry.replicas=3'],
  },
  '--set of a list index where only the defaults have the list': {
    set: ['nas.mountOptions[5]=x', 'tolerations[0].key=a,tolerations[0].operator=Exists'],
  },
  '--set null deletes a default map; --set-string keeps strings; later --set wins': {
    set: ['signer.image=null', 'registry.port=1', 'registry.port=2', 'big=12345678901234567890,neg=-5,float=1.5'],
    setString: ['nodeLabel.value=true'],
  },
  '--set typing as Helm: NULL/True/FALSE in any case, signed integers, leading zeros stay strings, int64 overflow stays a string': {
    set: ['a=NULL,b=True,c=FALSE,d=tRuE,e=+5,f=-5,g=0,h=007,i=-0,j=99999999999999999999,k=1e3,l=0x10'],
  },
  '--set lists only right after =; braces elsewhere are text; escapes; a trailing backslash is dropped': {
    set: ['m=x{y}z,n={},o={a\\,b,c},p=abc\\', 'q=a\\=b\\.c,r\\.s=1', 'u={True,NULL,7}'],
  },
  'YAML 1.1 scalars as Helm reads them (yes/on/y booleans, octal, hex, underscores)': {
    files: [
      [
        'nas: {requireNfsMount: no}',
        'nodeLabel: {value: "yes"}',
        'a: yes', 'b: on', 'c: y', 'd: NO', 'e: 0123', 'f: 0x1F', 'g: 1_000', 'h: 1:20', 'i: ~',
        'j: 2001-12-14', 'k: 0o17', 'l: 0b101', 'm: +12', 'n: 1e3', 'o: 1.0', 'p: "0123"', 'y: 1',
        '',
      ].join('\n'),
    ],
  },
};

for (const [name, spec] of Object.entries(CASES)) {
  test(name, () => {
    const { args, ours, ourError } = prepare(name.replace(/\W+/g, '-').slice(0, 40), spec);
    if (ourError) throw ourError;
    for (const h of HELMS) {
      const theirs = helmValues(h.bin, args);
      assert.ok(!theirs.error, `${h.label}: ${theirs.error}`);
      assert.equal(ours, theirs.values, `${h.label} ${h.version} differs`);
    }
  });
}

test('a case that really differs is caught (the comparison can fail)', () => {
  const { args, ours } = prepare('differs', { files: ['registry: {port: 5001}\n'] });
  const theirs = helmValues(HELMS[0].bin, args);
  ours.registry.port = 5002;
  assert.not.equal(ours, theirs.values);
});

test('--set that Helm cannot parse is refused by us too', () => {
  for (const set of [['v={a,b'], ['w={a}x'], ['x']]) {
    const { args, ourError } = prepare('badset', { set });
    assert.ok(ourError, `we accepted ${set}`);
    for (const h of HELMS) assert.ok(helmValues(h.bin, args).error, `${h.label} accepted ${set}`);
  }
});

test('--set inside a key that a file set to null: Helm fails, and so do we (with a way out)', () => {
  const { args, ourError } = prepare('setinnull', { files: ['nas: null\n'], set: ['nas.server=x'] });
  assert.ok(ourError, 'we accepted it');
  assert.match(ourError.message, /--set nas\.server=x: "nas" was set to null by an earlier values file/);
  for (const h of HELMS) assert.ok(helmValues(h.bin, args).error, `${h.label} accepted it`);
});

test.run();
