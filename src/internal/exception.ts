/**
 * The exception to raise from one given as gevent takes it, a class or an instance: a class
 * (any function) is instantiated without arguments, an instance is raised as it is, and
 * `undefined` raises `byDefault()` (a GreenletExit for a kill, the Timeout itself for a deadline).
 * @internal
 */
export function toException(exception: unknown, byDefault: () => unknown): unknown {
  if (exception === undefined) return byDefault();
  if (typeof exception === 'function') return new (exception as new () => unknown)();
  return exception;
}
