import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  DEFAULT_LINT_CHECKS,
  buildChart,
  packageVersion
} from "./cli-chunk-chunk-PL3TV26H.js";
import "./cli-chunk-chunk-LMBQ52M7.js";
import "./cli-chunk-chunk-Y64NOMP5.js";
import "./cli-chunk-chunk-BWD4I552.js";
import "./cli-chunk-chunk-YWSDDZHY.js";
import "./cli-chunk-chunk-A6GFL4ZW.js";
import "./cli-chunk-chunk-POY4YJ6C.js";
export {
  DEFAULT_LINT_CHECKS,
  buildChart,
  packageVersion
};
