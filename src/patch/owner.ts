import type { ScopeResource, Scope } from '../runtime/scope.js';

// What the net and http patches share: a Node object (a socket, a client request) owned by the
// scope it was made in until it closes. When the scope aborts (kill, timeout) it is destroyed with
// the reason; when it closes first, it disowns itself.

/** A socket or a client request: destroyable, and an emitter of 'error' and 'close'. */
export interface Destroyable {
  readonly destroyed: boolean;
  listenerCount(event: 'error'): number;
  once(event: 'error' | 'close', listener: () => void): unknown;
  destroy(error?: Error): unknown;
}

function noop(): void {}

/**
 * The ownership of `target` by `scope`: `attach()` registers it and disowns it on 'close'. A scope
 * that ended or was aborted owns nothing new, so there `attach()` leaves the target alone: the
 * kill went to what was outstanding when it came. A subclass overrides `forget()` to drop its own
 * bookkeeping, which runs first whether the target is disposed or released.
 */
export class DestroyOnAbort<T extends Destroyable> implements ScopeResource {
  readonly target: T;
  readonly scope: Scope;
  constructor(target: T, scope: Scope) {
    this.target = target;
    this.scope = scope;
  }

  /** Owns the target by the scope until the target closes. */
  attach(): this {
    this.target.once('close', this.release);
    this.scope.own(this);
    return this;
  }

  dispose(reason: unknown): void {
    this.forget();
    const target = this.target;
    if (target.destroyed) return;
    // The greenlet is gone: nobody may be listening for the error any more, and an unheard
    // 'error' would crash the process.
    if (target.listenerCount('error') === 0) target.once('error', noop);
    target.destroy(reason instanceof Error ? reason : undefined);
  }

  /** Disowns the target (its 'close' listener: bound). */
  release = (): void => {
    this.forget();
    this.scope.disown(this);
  };

  /** Runs first on dispose and on release. */
  protected forget(): void {}
}
