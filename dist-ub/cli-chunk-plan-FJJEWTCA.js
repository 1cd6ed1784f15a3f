import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);
import {
  DEFAULT_CERTS_DIRS,
  MANAGED_FILES,
  MARKER_FILE,
  RUNTIME_KINDS,
  TrustInputError,
  chartFullname,
  checkCaPem,
  checkCertsDir,
  checkOwner,
  formatAddress,
  hostsToml,
  parseAddress,
  planToShell,
  planTrust,
  removalToShell,
  shQuote
} from "./cli-chunk-chunk-IGNEQ7IX.js";
import "./cli-chunk-chunk-POY4YJ6C.js";
export {
  DEFAULT_CERTS_DIRS,
  MANAGED_FILES,
  MARKER_FILE,
  RUNTIME_KINDS,
  TrustInputError,
  chartFullname,
  checkCaPem,
  checkCertsDir,
  checkOwner,
  formatAddress,
  hostsToml,
  parseAddress,
  planToShell,
  planTrust,
  removalToShell,
  shQuote
};
