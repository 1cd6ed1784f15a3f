// The values schema and its messages: good and bad cases named by failure
// mode (test/fixtures/values/<mode>.yaml), --set parsing and Helm-style merging.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { fileURLToPath } from 'node:url';
import { resolveValues, parseSetArgument, mergeValues } from '../dist/values/index.js';

const fixture = (name) => join(fileURLToPath(new URL('fixtures/values/', import.meta.url)), name);

function problemsOf(input) {
  try {
    resolveValues(input);
  } catch (err) {
    assert.ok(err.name === 'ValidationError', `expected a ValidationError, got ${err.stack}`);
    return err.problems;
  }
  assert.unreachable('the values were accepted');
}

test('built-in defaults reproduce the seed cluster and are valid', () => {
  const { values } = resolveValues({});
  assert.is(values.nas.server, '172.27.128.2');
  assert.is(values.nas.path, '/nas');
  assert.is(values.nas.mountPath, '/eyoh-creg');
  assert.equal(values.nodeLabel, { key: 'node', value: 'registry' });
  assert.is(values.registry.port, 5000);
  assert.is(values.registry.replicas, 1);
  assert.is(values.registry.kind, 'ReplicationController');
  assert.is(values.service.name, 'registry-svc');
  assert.is(values.service.clusterIP, '');
});

test('goodone: a full override is accepted and merged over the defaults', () => {
  const { values } = resolveValues({ valuesFiles: [fixture('goodone.yaml')] });
  assert.is(values.nas.server, 'nas-b.example.internal');
  assert.is(values.registry.kind, 'Deployment');
  assert.is(values.registry.port, 5443);
  assert.is(values.registry.image.repository, 'registry', 'untouched defaults stay');
  assert.equal(values.nas.mountOptions, ['nfsvers=4.1', 'hard', 'timeo=600', 'retrans=2', 'nosuid', 'nodev', 'noexec']);
});

const bad = [
  ['badport.yaml', /badport\.yaml:2: registry\.port: expected a whole number from 1 to 65535, got the integer 70000/],
  ['quotedport.yaml', /quotedport\.yaml:2: registry\.port: expected an integer, got the string "5000"\. Write it without quotes: 5000/],
  ['unknownkey.yaml', /unknownkey\.yaml:2: nas\.sever: unknown key; did you mean "nas\.server"\?/],
  ['shellpath.yaml', /shellpath\.yaml:2: nas\.path: expected absolute path of the export .* got the string "\/nas; rm -rf \/"\. Shell and YAML special characters/],
  ['shellserver.yaml', /shellserver\.yaml:2: nas\.server: expected NFS server: a hostname or an IPv4 address, got the string "\$\(reboot\)"/],
  ['relativepath.yaml', /relativepath\.yaml:2: nas\.mountPath: expected absolute host path .* got the string "registry-data"/],
  ['dotdotpath.yaml', /dotdotpath\.yaml:2: nas\.mountPath: the string "\/var\/\.\.\/etc" is refused: a "\." or "\.\." segment/],
  ['yamlinjection.yaml', /yamlinjection\.yaml:2: nodeLabel\.value: expected label value, got the string "registry\\nhostNetwork: true"/],
  ['badkind.yaml', /badkind\.yaml:2: registry\.kind: expected one of "ReplicationController", "Deployment", got the string "StatefulSet"/],
];
for (const [file, message] of bad) {
  test(`${file.replace('.yaml', '')}: rejected with file, line, field, expectation and the given value`, () => {
    const problems = problemsOf({ valuesFiles: [fixture(file)] });
    assert.ok(problems.some((p) => message.test(p)), `no problem matched ${message}:\n${problems.join('\n')}`);
  });
}

test('badkind: every problem of a file is reported, not just the first', () => {
  const problems = problemsOf({ valuesFiles: [fixture('badkind.yaml')] });
  assert.is(problems.length, 2, problems.join('\n'));
  assert.match(problems.join('\n'), /registry\.replicas: expected a whole number from 1 to 64, got the integer 0/);
});

const unreadable = [
  ['empty.yaml', /empty\.yaml: the values file is empty\. .*creg-chart init/],
  ['notyaml.yaml', /notyaml\.yaml:\d+:\d+: not valid YAML: /],
  ['toplevellist.yaml', /toplevellist\.yaml: expected a map of keys at the top level .* but the file holds a list/],
  ['duplicatekey.yaml', /duplicatekey\.yaml:3: not valid YAML: the key "registry" appears twice in the same map/],
  ['does-not-exist.yaml', /does-not-exist\.yaml: cannot read the values file: the file does not exist/],
];
for (const [file, message] of unreadable) {
  test(`${file.replace('.yaml', '')}: unreadable file is named with the reason`, () => {
    const problems = problemsOf({ valuesFiles: [fixture(file)] });
    assert.ok(problems.some((p) => message.test(p)), `no problem matched ${message}:\n${problems.join('\n')}`);
  });
}

test('errors from several files are all reported together', () => {
  const problems = problemsOf({ valuesFiles: [fixture('empty.yaml'), fixture('notyaml.yaml')] });
  assert.is(problems.length, 2);
});

test('a bad --set names the --set argument', () => {
  const problems = problemsOf({ set: ['registry.replicas=two'] });
  assert.match(problems[0], /^--set registry\.replicas=two: registry\.replicas: expected an integer, got the string "two"/);
});

test('the last layer that set a bad value is the one named', () => {
  const problems = problemsOf({ valuesFiles: [fixture('goodone.yaml')], set: ['registry.port=0'] });
  assert.match(problems[0], /^--set registry\.port=0: registry\.port/);
});

test('--set: Helm typing, lists, escapes, null removal', () => {
  assert.equal(parseSetArgument('a.b=5,c=true,d=false,e=0123,f=1.5,g=x').values, { a: { b: 5 }, c: true, d: false, e: '0123', f: '1.5', g: 'x' });
  assert.equal(parseSetArgument('l={x,y},m[1]=z').values, { l: ['x', 'y'], m: [null, 'z'] });
  assert.equal(parseSetArgument('a\\.b=c\\,d').values, { 'a.b': 'c,d' });
  assert.equal(parseSetArgument('n=5', '--set-string').values, { n: '5' });
  const merged = mergeValues([{ label: 'a', values: { a: { b: 1, c: 2 }, l: [1, 2] } }, parseSetArgument('a.b=null,l={3}')]);
  assert.equal(merged, { a: { c: 2 }, l: [3] });
});

test('--set without = is a usage error that shows the form', () => {
  try {
    parseSetArgument('registry.port');
    assert.unreachable();
  } catch (err) {
    assert.match(err.message, /expected key=value \(for example `--set registry\.port=5000`\)/);
    assert.is(err.exitCode, 2);
  }
});

test('removing a required value with null is reported as missing', () => {
  const problems = problemsOf({ set: ['nas.server=null'] });
  assert.match(problems[0], /nas\.server: required but missing/);
});

test('protokey: a "__proto__" key in a file or a --set path is refused, and nothing is polluted', () => {
  let err;
  try { resolveValues({ valuesFiles: [fixture('protokey.yaml')] }); } catch (e) { err = e; }
  assert.ok(err, 'accepted');
  assert.match(err.message, /protokey\.yaml:3: "__proto__" is not a values key/);
  for (const arg of ['__proto__.enabled=true', 'nas.__proto__.server=evil']) {
    let e2;
    try { resolveValues({ set: [arg] }); } catch (e) { e2 = e; }
    assert.ok(e2, `${arg} accepted`);
    assert.is(e2.exitCode, 2);
    assert.match(e2.message, /"__proto__" is not a values key/);
  }
  assert.is({}.enabled, undefined);
  assert.is({}.server, undefined);
  assert.is({}.polluted, undefined);
});

test('the precompiled validator is built from the current schema and judges like ajv compiling it now', () => {
  const require = createRequire(import.meta.url);
  const schemaText = readFileSync(new URL('../schemas/values.schema.json', import.meta.url), 'utf8');
  const precompiled = require('../dist/values/schema-validator.cjs');
  assert.is(precompiled.schemaSha256, createHash('sha256').update(schemaText).digest('hex'), 'run npm run compile');
  const fresh = new Ajv({ allErrors: true, strict: true }).compile(JSON.parse(schemaText));
  const { values: defaults } = resolveValues({});
  const dir = fileURLToPath(new URL('fixtures/values/', import.meta.url));
  let bad = 0;
  for (const f of readdirSync(dir)) {
    let doc;
    try { doc = parse(readFileSync(join(dir, f), 'utf8')); } catch { continue; }
    if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) continue;
    const values = { ...defaults, ...doc };
    const a = precompiled(values);
    const b = fresh(values);
    assert.is(a, b, f);
    if (!a) {
      bad += 1;
      assert.equal(precompiled.errors.map((e) => `${e.instancePath} ${e.keyword}`), fresh.errors.map((e) => `${e.instancePath} ${e.keyword}`), f);
    }
  }
  assert.ok(bad >= 5, `only ${bad} fixtures were rejected`);
});

test.run();
