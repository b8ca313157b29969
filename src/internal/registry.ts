import { syncBuiltinESMExports } from 'node:module';

// The record of every replaced property, per patched module ("net", "http", "dns", ...), so that
// unpatching puts back the exact original (identity) and patching twice changes nothing.

interface Entry {
  target: object;
  key: PropertyKey;
  name: string;
  original: unknown;
  descriptor: PropertyDescriptor | undefined;
  replacement: unknown;
}

const patched = new Map<string, Entry[]>();

/**
 * Replaces `target[key]` with `replacement` and records the original under `moduleName`.
 * `name` is how `getOriginal(moduleName, name)` finds it again (defaults to `key`; use a dotted
 * path such as `'Socket.prototype.connect'` when the key alone is ambiguous). Replacing the same
 * target and key twice keeps the first original (idempotent). ESM named imports of builtins are
 * synced (`module.syncBuiltinESMExports()`) after each change.
 */
export function replace(moduleName: string, target: object, key: PropertyKey, replacement: unknown, name: string = String(key)): void {
  let entries = patched.get(moduleName);
  if (entries === undefined) patched.set(moduleName, (entries = []));
  const existing = entries.find((entry) => entry.target === target && entry.key === key);
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (existing === undefined) {
    entries.push({ target, key, name, original: (target as Record<PropertyKey, unknown>)[key], descriptor, replacement });
  } else {
    existing.replacement = replacement;
  }
  if (descriptor !== undefined && descriptor.configurable === false) {
    // e.g. undici's global dispatcher symbols: fixed in place, but writable.
    (target as Record<PropertyKey, unknown>)[key] = replacement;
  } else {
    Object.defineProperty(target, key, {
      value: replacement,
      writable: descriptor?.writable ?? true,
      enumerable: descriptor?.enumerable ?? true,
      configurable: true,
    });
  }
  sync();
}

/**
 * Puts back every original recorded under `moduleName` (in reverse order) and forgets them.
 * Returns false when the module was not patched.
 */
export function restore(moduleName: string): boolean {
  const entries = patched.get(moduleName);
  if (entries === undefined) return false;
  patched.delete(moduleName);
  for (let i = entries.length - 1; i >= 0; i--) {
    const { target, key, descriptor } = entries[i]!;
    if (descriptor === undefined) {
      if (!Reflect.deleteProperty(target, key)) (target as Record<PropertyKey, unknown>)[key] = undefined;
    } else if (descriptor.configurable === false) (target as Record<PropertyKey, unknown>)[key] = descriptor.value;
    else Object.defineProperty(target, key, descriptor);
  }
  sync();
  return true;
}

/**
 * True when `moduleName` has replacements in place.
 *
 * @example
 * ```ts runnable
 * import { isPatched, patchDns } from 'nodevent/patch';
 * if (!isPatched('dns')) patchDns();
 * ```
 */
export function isPatched(moduleName: string): boolean {
  return patched.has(moduleName);
}

/**
 * The original value recorded for `name` under `moduleName`, or undefined when that name is not
 * patched.
 *
 * @example
 * ```ts runnable
 * import dns from 'node:dns';
 * import { getOriginal } from 'nodevent/patch';
 * const originalLookup = getOriginal('dns', 'lookup') as typeof dns.lookup | undefined;
 * ```
 */
export function getOriginal(moduleName: string, name: string): unknown {
  return patched.get(moduleName)?.find((entry) => entry.name === name)?.original;
}

/** The names of the modules currently patched. */
export function patchedModules(): string[] {
  return [...patched.keys()];
}

/** Makes ESM named imports of builtins (`import { connect } from 'node:net'`) see the changes. */
export function sync(): void {
  syncBuiltinESMExports();
}
