import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  loadValuesFile,
  mergeValues,
  parseSetArgument,
  resolveValues,
  validateValues
} from "./cli-chunk-chunk-JMWZADJH.js";
import "./cli-chunk-chunk-BWD4I552.js";
import "./cli-chunk-chunk-YWSDDZHY.js";
import "./cli-chunk-chunk-A6GFL4ZW.js";
import "./cli-chunk-chunk-POY4YJ6C.js";
export {
  loadValuesFile,
  mergeValues,
  parseSetArgument,
  resolveValues,
  validateValues
};
