/**
 * An error the user can fix: its message is shown as is (no stack trace) and
 * the process exits with `exitCode`.
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

/** Several problems found at once (every bad field of every file). */
export class ValidationError extends UserError {
  constructor(readonly problems: string[], heading = 'The values are not valid:') {
    super([heading, ...problems.map((p) => `  - ${p}`)].join('\n'));
    this.name = 'ValidationError';
  }
}
