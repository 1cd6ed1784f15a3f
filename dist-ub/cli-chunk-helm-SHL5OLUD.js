import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  bundledHelm,
  findHelm,
  helmVersionCacheFile,
  requireHelmVersion,
  runHelm
} from "./cli-chunk-chunk-LMBQ52M7.js";
import "./cli-chunk-chunk-YWSDDZHY.js";
import "./cli-chunk-chunk-A6GFL4ZW.js";
import "./cli-chunk-chunk-POY4YJ6C.js";
export {
  bundledHelm,
  findHelm,
  helmVersionCacheFile,
  requireHelmVersion,
  runHelm
};
