import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { UserError } from '../errors.js';

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
  const hb = Handlebars.create();
  hb.registerHelper('raw', (options: Handlebars.HelperOptions) => options.fn(undefined));
  return hb;
}

export function renderTemplateText(engine: typeof Handlebars, text: string, context: RenderContext, name: string): string {
  try {
    return engine.compile(text, { noEscape: true, strict: true })(context);
  } catch (err) {
    throw new UserError(`chart-templates/${name}: cannot render: ${(err as Error).message.split('\n')[0]}. This is a bug in the chart source, not in your values.`);
  }
}

/**
 * Copies `from` (chart-templates/) to `to`: `.hbs` files are rendered and
 * lose the suffix, every other file is copied byte for byte.
 */
export async function renderChartTemplates(from: string, to: string, context: RenderContext): Promise<void> {
  const engine = createTemplateEngine();
  async function walk(rel: string): Promise<void> {
    await mkdir(join(to, rel), { recursive: true });
    for (const entry of await readdir(join(from, rel), { withFileTypes: true })) {
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        await walk(relPath);
      } else if (entry.name.endsWith('.hbs')) {
        const text = await readFile(join(from, relPath), 'utf8');
        await writeFile(join(to, relPath.slice(0, -'.hbs'.length)), renderTemplateText(engine, text, context, relPath));
      } else if (entry.isFile()) {
        await copyFile(join(from, relPath), join(to, relPath));
      }
    }
  }
  await walk('');
}
