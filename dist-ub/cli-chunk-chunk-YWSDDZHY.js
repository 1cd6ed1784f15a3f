import { createRequire as __cregRequire } from 'node:module'; const require = __cregRequire(import.meta.url);

// src/errors.ts
var UserError = class extends Error {
  constructor(message, exitCode = 1) {
    super(message);
    this.exitCode = exitCode;
    this.name = "UserError";
  }
  exitCode;
};
var ValidationError = class extends UserError {
  constructor(problems, heading = "The values are not valid:") {
    super([heading, ...problems.map((p) => `  - ${p}`)].join("\n"));
    this.problems = problems;
    this.name = "ValidationError";
  }
  problems;
};

export {
  UserError,
  ValidationError
};
