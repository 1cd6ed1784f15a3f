import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);

// src/commands/values-flags.ts
var valuesOptions = {
  values: {
    alias: "f",
    type: "string",
    array: true,
    default: [],
    describe: "values file to merge over the built-in defaults (repeatable; later files win)"
  },
  set: {
    type: "string",
    array: true,
    default: [],
    describe: "set values on the command line, Helm syntax (repeatable): --set registry.port=5001,nas.server=10.0.0.2"
  },
  "set-string": {
    type: "string",
    array: true,
    default: [],
    describe: "like --set, but every value stays a string"
  }
};
function withValuesFlags(y) {
  return y.options(valuesOptions);
}

export {
  valuesOptions,
  withValuesFlags
};
