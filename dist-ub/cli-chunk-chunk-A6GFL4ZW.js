import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);

// src/paths.ts
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
var packageRoot = join(dirname(fileURLToPath(import.meta.url)), "..");
var schemaPath = join(packageRoot, "schemas", "values.schema.json");
var defaultsPath = join(packageRoot, "schemas", "values.defaults.yaml");
var chartTemplatesDir = join(packageRoot, "chart-templates");
var signerBundlePath = join(packageRoot, "dist", "signer", "signer.js");
var precompiledValidatorPath = join(packageRoot, "dist", "values", "schema-validator.cjs");
var precompiledDefaultsPath = join(packageRoot, "dist", "values", "defaults.json");
var precompiledTemplatesPath = join(packageRoot, "dist", "render", "chart-templates.precompiled.cjs");

export {
  packageRoot,
  schemaPath,
  defaultsPath,
  chartTemplatesDir,
  signerBundlePath,
  precompiledValidatorPath,
  precompiledDefaultsPath,
  precompiledTemplatesPath
};
