// Argument checks shared by the runtime. Errors follow Node's own shape: a TypeError or RangeError
// whose message names the argument, with Node's `code` so callers can branch on it.

/** Largest delay Node's timers accept, in seconds (2^31 - 1 ms). */
const MAX_TIMER_SECONDS = 2147483.647;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  let shown = String(value);
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  if (typeof value === 'string') shown = `'${shown}'`;
  return `type ${typeof value} (${shown})`;
}

/** A TypeError shaped like Node's ERR_INVALID_ARG_TYPE. */
export function invalidArgType(name: string, expected: string, actual: unknown): TypeError {
  const err = new TypeError(`The "${name}" argument must be ${expected}. Received ${describe(actual)}`);
  (err as NodeJS.ErrnoException).code = 'ERR_INVALID_ARG_TYPE';
  return err;
}

/** A RangeError shaped like Node's ERR_OUT_OF_RANGE. */
export function outOfRange(name: string, expected: string, actual: unknown): RangeError {
  const err = new RangeError(`The value of "${name}" is out of range. It must be ${expected}. Received ${String(actual)}`);
  (err as NodeJS.ErrnoException).code = 'ERR_OUT_OF_RANGE';
  return err;
}

export function validateFunction(value: unknown, name: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
}

/**
 * Checks a duration in seconds and returns it in milliseconds.
 * `null`/`undefined` (and `Infinity` when `allowInfinity`) mean "never" and give `undefined`.
 */
export function secondsToMs(value: unknown, name: string, allowInfinity = true): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (Number.isNaN(value) || value < 0) throw outOfRange(name, 'a non-negative number of seconds', value);
  if (value === Infinity) {
    if (allowInfinity) return undefined;
    throw outOfRange(name, 'a finite number of seconds', value);
  }
  if (value > MAX_TIMER_SECONDS) {
    throw outOfRange(name, `at most ${MAX_TIMER_SECONDS} seconds${allowInfinity ? ' or Infinity' : ''}`, value);
  }
  return value * 1000;
}

/** Checks that `value` is an iterable and returns it as an array. */
export function toArray<T>(value: Iterable<T>, name: string): T[] {
  if (value == null || typeof (value as Iterable<T>)[Symbol.iterator] !== 'function') {
    throw invalidArgType(name, 'an iterable', value);
  }
  return Array.isArray(value) ? value : [...value];
}

/** Checks an optional count: a positive integer or undefined. */
export function validateCount(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < 0) throw outOfRange(name, 'a non-negative integer', value);
  return value;
}

/**
 * Checks an options argument: a plain object (the caller defaults `undefined` to `{}`). A number
 * where `{ timeout }` belongs (`join(0.3)`) would otherwise read as "no options" and wait forever.
 */
export function validateOptions(value: unknown, name = 'options'): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgType(name, 'of type object', value);
}

/** Checks an optional boolean flag of an options object. */
export function validateFlag(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
}
