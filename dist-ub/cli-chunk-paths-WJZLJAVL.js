import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  chartTemplatesDir,
  defaultsPath,
  packageRoot,
  precompiledDefaultsPath,
  precompiledTemplatesPath,
  precompiledValidatorPath,
  schemaPath,
  signerBundlePath
} from "./cli-chunk-chunk-A6GFL4ZW.js";
import "./cli-chunk-chunk-POY4YJ6C.js";
export {
  chartTemplatesDir,
  defaultsPath,
  packageRoot,
  precompiledDefaultsPath,
  precompiledTemplatesPath,
  precompiledValidatorPath,
  schemaPath,
  signerBundlePath
};
