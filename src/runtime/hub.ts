import type { Greenlet } from './greenlet.js';

/**
 * Receives failures nobody else will see: a greenlet that failed while nobody joined, awaited or
 * linked it (`context` is that Greenlet), or a link callback that threw (`context` is the Greenlet,
 * Event or AsyncResult it was linked to).
 */
// Written as a method type so that a handler declared `(g: Greenlet, err) => …` is accepted.
export type ErrorHandler = { handle(context: Greenlet, error: unknown): void }['handle'];

function format(what: string, error: unknown): string {
  let head: string;
  let stack = '';
  try {
    head = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (error instanceof Error && error.stack) stack = `${error.stack}\n`;
  } catch {
    head = '<an error that cannot be printed>';
  }
  return `${what} failed with ${head}\n${stack}`;
}

/**
 * The hub reports failures that would otherwise be lost: a greenlet that fails while nothing
 * observes it (no join, get, await or link), and a link callback that throws. They are written to
 * `exceptionStream` (stderr by default, `null` silences it), or passed to `errorHandler` when one
 * is set. It never becomes an unhandled rejection, and the process goes on, as in gevent. A handler
 * or a stream that throws is not allowed to break the run loop: a handler's error is written to the
 * stream after the failure it was given, and a stream that throws is ignored.
 *
 * @example
 * ```ts runnable
 * import { hub, spawn } from 'nodevent';
 * hub.errorHandler = (g, err) => console.error({ greenlet: String(g), err });
 * spawn(() => { throw new Error('boom'); }); // handled, not an unhandledRejection
 * ```
 */
export const hub: {
  exceptionStream: NodeJS.WritableStream | null;
  errorHandler: ErrorHandler | null;
  reportError(context: Greenlet, error: unknown, what?: string): void;
} = {
  exceptionStream: process.stderr,
  errorHandler: null,
  reportError(context, error, what) {
    const handler = this.errorHandler;
    let text = '';
    if (handler !== null) {
      try {
        handler(context, error);
        return;
      } catch (handlerError) {
        // Both: the failure the handler was given, and the handler's own.
        text = format('hub.errorHandler', handlerError);
      }
    }
    try {
      this.exceptionStream?.write(format(what ?? String(context), error) + text);
    } catch {
      // Nowhere left to report to; the run loop must go on (gevent's test_stderr_raising).
    }
  },
};
