import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (the folder holding package.json), from dist/ or src/. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const schemaPath = join(packageRoot, 'schemas', 'values.schema.json');
export const defaultsPath = join(packageRoot, 'schemas', 'values.defaults.yaml');
export const chartTemplatesDir = join(packageRoot, 'chart-templates');
export const signerBundlePath = join(packageRoot, 'dist', 'signer', 'signer.js');
/** The schema validator scripts/compile-schema.mjs generates (ajv standalone code). */
export const precompiledValidatorPath = join(packageRoot, 'dist', 'values', 'schema-validator.cjs');
/** The built-in defaults, parsed at compile time (scripts/precompile.mjs). */
export const precompiledDefaultsPath = join(packageRoot, 'dist', 'values', 'defaults.json');
/** chart-templates/*.hbs precompiled by Handlebars at compile time (scripts/precompile.mjs). */
export const precompiledTemplatesPath = join(packageRoot, 'dist', 'render', 'chart-templates.precompiled.cjs');
