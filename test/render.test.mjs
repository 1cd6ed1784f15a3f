// The build-time template toolkit: Handlebars meets Helm's `{{ }}` only in
// .hbs files, and there only through the {{{{raw}}}} block.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTemplateEngine, renderTemplateText, renderChartTemplates } from '../dist/render/chart-templates.js';

const ctx = { chart: { name: 'creg', version: '1.2.3', appVersion: '2.8.3' } };
const engine = createTemplateEngine();

test('context values are printed without HTML escaping', () => {
  assert.is(renderTemplateText(engine, 'description: "{{chart.name}} <&> \'x\'"', ctx, 't'), 'description: "creg <&> \'x\'"');
});

test('a missing variable is an error, not an empty string (strict)', () => {
  assert.throws(() => renderTemplateText(engine, 'version: {{chart.nope}}', ctx, 'Chart.yaml.hbs'), /chart-templates\/Chart\.yaml\.hbs: cannot render: .*nope/);
});

test('a bare Helm expression in a .hbs file is a parse error, caught at build time', () => {
  assert.throws(() => renderTemplateText(engine, 'x: {{ .Values.x }}', ctx, 'a.hbs'), /chart-templates\/a\.hbs: cannot render/);
});

test('{{{{raw}}}} blocks pass Helm expressions through untouched', () => {
  const out = renderTemplateText(engine, 'name: {{chart.name}}\n{{{{raw}}}}port: {{ .Values.registry.port | int }}\n{{- include "x" . }}{{{{/raw}}}}', ctx, 'a.hbs');
  assert.is(out, 'name: creg\nport: {{ .Values.registry.port | int }}\n{{- include "x" . }}');
});

test('only .hbs files are rendered; every other file is copied byte for byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'creg-render-'));
  try {
    const from = join(dir, 'src');
    mkdirSync(join(from, 'templates'), { recursive: true });
    const helmTemplate = 'port: {{ .Values.registry.port }}\n{{ "{{" }} \\{{ &quot;\n';
    writeFileSync(join(from, 'templates', 'svc.yaml'), helmTemplate);
    writeFileSync(join(from, 'Chart.yaml.hbs'), 'name: {{chart.name}}\nversion: {{chart.version}}\n');
    await renderChartTemplates(from, join(dir, 'out'), ctx);
    assert.is(readFileSync(join(dir, 'out', 'templates', 'svc.yaml'), 'utf8'), helmTemplate);
    assert.is(readFileSync(join(dir, 'out', 'Chart.yaml'), 'utf8'), 'name: creg\nversion: 1.2.3\n');
    assert.not.ok(existsSync(join(dir, 'out', 'Chart.yaml.hbs')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
