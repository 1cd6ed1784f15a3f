import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  UserError,
  ValidationError
} from "./cli-chunk-chunk-YWSDDZHY.js";
import "./cli-chunk-chunk-POY4YJ6C.js";
export {
  UserError,
  ValidationError
};
