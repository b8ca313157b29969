export * from './runtime/index.js';
export * from './patch/index.js';
