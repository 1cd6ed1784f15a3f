export * from './validate.js';
export * from './certs.js';
export * from './files.js';
export * from './local.js';
