import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type Handlebars from 'handlebars';
import HandlebarsRuntime from 'handlebars/runtime.js';
import { UserError } from '../errors.js';
import { precompiledTemplatesPath } from '../paths.js';

const requireHere = createRequire(import.meta.url);

/** What `.hbs` files in chart-templates/ may use. */
export interface RenderContext {
  chart: { name: string; version: string; appVersion: string };
  [key: string]: unknown;
}

/**
 * Every container image the chart runs, with the chart's default values,
 * for the Artifact Hub `artifacthub.io/images` annotation of Chart.yaml.
 * Kept in step with the templates by test/chart-readme.test.mjs.
 */
export function chartImages(values: Record<string, unknown>): { name: string; image: string }[] {
  const ref = (path: string[]): string | undefined => {
    let cur: unknown = values;
    for (const p of path) cur = (cur as Record<string, unknown> | undefined)?.[p];
    const img = cur as { repository?: string; tag?: string; digest?: string } | undefined;
    return img?.repository && img.tag ? `${img.repository}:${img.tag}${img.digest ? `@${img.digest}` : ''}` : undefined;
  };
  const images = [
    { name: 'registry', image: ref(['registry', 'image']) },
    { name: 'signer', image: ref(['signer', 'image']) },
    { name: 'nas-mount', image: ref(['nas', 'mounter', 'image']) },
    { name: 'node-trust', image: ref(['nodeTrust', 'image']) },
  ];
  return images.filter((i): i is { name: string; image: string } => i.image !== undefined);
}

/**
 * A Handlebars instance for chart-templates/. Handlebars and Helm both use
 * `{{ }}`; the convention is that only `.hbs` files meet Handlebars, and a
 * `.hbs` file that needs literal Go-template text wraps it in
 * `{{{{raw}}}}...{{{{/raw}}}}`. `strict` makes a missing variable an error
 * instead of an empty string; `noEscape` keeps quotes as quotes (YAML is not
 * HTML).
 */
export function createTemplateEngine(): typeof Handlebars {
  // The whole of Handlebars (its compiler) loads only here: builds use the
  // templates scripts/precompile.mjs compiled, with Handlebars' runtime.
  const hb = (requireHere('handlebars') as typeof Handlebars).create();
  registerHelpers(hb);
  return hb;
}

function registerHelpers(hb: Pick<typeof Handlebars, 'registerHelper'>): void {
  hb.registerHelper('raw', (options: Handlebars.HelperOptions) => options.fn(undefined));
}

/** The options every chart template is compiled with (scripts/precompile.mjs uses them too). */
export const COMPILE_OPTIONS = { noEscape: true, strict: true } as const;

interface Precompiled {
  [relPath: string]: { sha256: string; spec: unknown };
}

let precompiled: Precompiled | null | undefined;
let runtime: typeof Handlebars | undefined;

/** The precompiled template for `relPath` if it was compiled from exactly `text`. */
function precompiledTemplate(relPath: string, text: string): Handlebars.TemplateDelegate | undefined {
  if (precompiled === undefined) {
    try {
      precompiled = requireHere(precompiledTemplatesPath) as Precompiled;
    } catch {
      precompiled = null;
    }
  }
  const entry = precompiled?.[relPath];
  if (!entry || entry.sha256 !== createHash('sha256').update(text).digest('hex')) return undefined;
  if (!runtime) {
    runtime = (HandlebarsRuntime as unknown as typeof Handlebars).create();
    registerHelpers(runtime);
  }
  return runtime.template(entry.spec as Parameters<typeof Handlebars.template>[0]);
}

export function renderTemplateText(engine: typeof Handlebars, text: string, context: RenderContext, name: string): string {
  let template: Handlebars.TemplateDelegate;
  try {
    template = engine.compile(text, COMPILE_OPTIONS);
  } catch (err) {
    throw renderError(err, name);
  }
  return runTemplate(template, context, name);
}

function runTemplate(template: Handlebars.TemplateDelegate, context: RenderContext, name: string): string {
  try {
    return template(context);
  } catch (err) {
    throw renderError(err, name);
  }
}

function renderError(err: unknown, name: string): UserError {
  return new UserError(`chart-templates/${name}: cannot render: ${(err as Error).message.split('\n')[0]}. This is a bug in the chart source, not in your values.`);
}

/**
 * Copies `from` (chart-templates/) to `to`: `.hbs` files are rendered and
 * lose the suffix, every other file is copied byte for byte.
 */
export async function renderChartTemplates(from: string, to: string, context: RenderContext): Promise<void> {
  const staged = stageChartTemplates(from, to);
  staged.render(context);
  await staged.copied;
}

export interface StagedTemplates {
  /** Settles when every file copied as is has been written. */
  copied: Promise<void>;
  /** Renders the `.hbs` files (synchronously). */
  render(context: RenderContext): void;
}

/**
 * renderChartTemplates in two steps, so that a build can start the copying
 * before it knows the values: the files copied as is start copying at once,
 * on libuv's thread pool (creating a file is the slow part here, about a
 * quarter of a millisecond each), and `render` writes the `.hbs` files once
 * their context is known. `extra` files are copied along (chart path to source).
 */
export function stageChartTemplates(from: string, to: string, extra: ReadonlyMap<string, string> = new Map()): StagedTemplates {
  const copies: Promise<void>[] = [];
  const templates: string[] = [];
  const walk = (rel: string): void => {
    mkdirSync(join(to, rel), { recursive: true });
    for (const entry of readdirSync(join(from, rel), { withFileTypes: true })) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(relPath);
      else if (entry.name.endsWith('.hbs')) templates.push(relPath);
      else if (entry.isFile()) copies.push(copyFile(join(from, relPath), join(to, relPath)));
    }
  };
  walk('');
  for (const [relPath, source] of extra) {
    mkdirSync(dirname(join(to, relPath)), { recursive: true });
    copies.push(copyFile(source, join(to, relPath)));
  }
  const copied = Promise.all(copies).then(() => {});
  copied.catch(() => {}); // the caller awaits it
  let engine: typeof Handlebars | undefined;
  return {
    copied,
    render(context: RenderContext): void {
      for (const relPath of templates) {
        const text = readFileSync(join(from, relPath), 'utf8');
        const template = precompiledTemplate(relPath, text);
        const out = template ? runTemplate(template, context, relPath) : renderTemplateText((engine ??= createTemplateEngine()), text, context, relPath);
        writeFileSync(join(to, relPath.slice(0, -'.hbs'.length)), out);
      }
    },
  };
}
