import { createRequire } from 'node:module';
import { sep } from 'node:path';

// How the client patches find the client modules the application loads: those already in
// require.cache are patched at once, later loads are hooked with require-in-the-middle. An ESM
// `import pg from 'pg'` reaches the same CommonJS files (pg's ESM entry imports lib/index.js,
// whose own require() calls are hooked), so both kinds of application share the patched classes.

const require = createRequire(import.meta.url);

/**
 * One file of a client package to patch when it loads.
 */
export interface WatchedFile {
  /** The package name ('pg', '@redis/client'). */
  module: string;
  /** The file inside the package, with '/' separators ('lib/client.js'). */
  file: string;
  /** True when `file` is the package's main file (require-in-the-middle names it by the package). */
  main?: boolean;
  /** Patches the file's exports; must be idempotent. */
  patch(exports: unknown): void;
}

type HookCtor = new (modules: string[], options: { internals: boolean }, onrequire: (exports: unknown, name: string, basedir?: string) => unknown) => { unhook(): void };

/**
 * Patches `files` in every copy already loaded and in every copy loaded later. Returns the
 * function that stops watching (patches already applied stay until the registry restores them).
 */
export function watchModule(files: WatchedFile[]): () => void {
  for (const [filename, mod] of Object.entries(require.cache)) {
    if (mod === undefined || !mod.loaded) continue;
    for (const spec of files) {
      if (filename.endsWith(`${sep}node_modules${sep}${spec.module.split('/').join(sep)}${sep}${spec.file.split('/').join(sep)}`)) {
        spec.patch(mod.exports);
      }
    }
  }
  const { Hook } = require('require-in-the-middle') as { Hook: HookCtor };
  const hook = new Hook([...new Set(files.map((spec) => spec.module))], { internals: true }, (exports, name) => {
    for (const spec of files) {
      if (name === `${spec.module}/${spec.file}` || (spec.main === true && name === spec.module)) spec.patch(exports);
    }
    return exports;
  });
  return () => hook.unhook();
}
