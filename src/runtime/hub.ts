import type { Greenlet } from './greenlet.js';

/** Receives failures of greenlets that nobody joined, awaited or linked. */
export type ErrorHandler = (greenlet: Greenlet, error: unknown) => void;

function format(greenlet: Greenlet, error: unknown): string {
  const head = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const stack = error instanceof Error && error.stack ? `${error.stack}\n` : '';
  return `<Greenlet "${greenlet.name}"> failed with ${head}\n${stack}`;
}

/**
 * The hub reports failures that would otherwise be lost: a greenlet that fails while nothing
 * observes it (no join, get, await or link) is written to `exceptionStream` (stderr by default,
 * `null` silences it), or passed to `errorHandler` when one is set. It never becomes an unhandled
 * rejection, and the process goes on, as in gevent.
 *
 * @example
 * ```ts
 * import { hub, spawn } from 'nodevent';
 * hub.errorHandler = (g, err) => log.error({ greenlet: g.name, err });
 * spawn(() => { throw new Error('boom'); }); // logged, not an unhandledRejection
 * ```
 */
export const hub: {
  exceptionStream: NodeJS.WritableStream | null;
  errorHandler: ErrorHandler | null;
  reportError(greenlet: Greenlet, error: unknown): void;
} = {
  exceptionStream: process.stderr,
  errorHandler: null,
  reportError(greenlet, error) {
    const handler = this.errorHandler;
    if (handler !== null) {
      try {
        handler(greenlet, error);
        return;
      } catch (handlerError) {
        error = handlerError;
      }
    }
    this.exceptionStream?.write(format(greenlet, error));
  },
};
