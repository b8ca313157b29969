import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A built-in module loaded when first needed rather than with nodevent: on Node 22 and later,
 * `node:http` brings Node's own undici with it (3.2 MB of heap on Node 26), which a program that
 * never patches http should not pay for.
 * @internal
 */
export function builtin<T>(name: `node:${string}`): T {
  return require(name) as T;
}
