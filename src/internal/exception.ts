import { invalidArgType } from './validate.js';

/**
 * The exception to raise from one given as gevent takes it, a class or an instance: a class
 * (any function) is instantiated without arguments, an instance is raised as it is, and
 * `undefined` or `null` (Python's None) raises `byDefault()` (a GreenletExit for a kill, the Timeout itself for a deadline).
 * @internal
 */
export function toException(exception: unknown, byDefault: () => unknown): unknown {
  if (exception === undefined || exception === null) return byDefault();
  if (typeof exception === 'function') return new (exception as new () => unknown)();
  return exception;
}

/**
 * Throws a TypeError naming `name` when `exception` is a function that cannot be instantiated
 * (an arrow function or a method: `exception: () => new Error()` instead of the error or its
 * class), so that the mistake shows at the call rather than when the exception is raised.
 * @internal
 */
export function validateException(exception: unknown, name: string): void {
  if (typeof exception === 'function' && !isConstructor(exception)) {
    throw invalidArgType(name, 'an exception instance or a class (a function that is not a constructor was given)', exception);
  }
}

function isConstructor(fn: Function): boolean {
  try {
    // `fn` as new.target only: it must be a constructor, and it is not called.
    Reflect.construct(String, [], fn);
    return true;
  } catch {
    return false;
  }
}
