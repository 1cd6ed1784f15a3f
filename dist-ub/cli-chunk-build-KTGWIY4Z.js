import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  builder,
  command,
  describe,
  handler,
  options,
  ownOptions
} from "./cli-chunk-chunk-XRIXYTAS.js";
import "./cli-chunk-chunk-23RMGUWB.js";
import "./cli-chunk-chunk-POY4YJ6C.js";
export {
  builder,
  command,
  describe,
  handler,
  options,
  ownOptions
};
