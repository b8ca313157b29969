import { getCurrent } from '../runtime/greenlet.js';
import { currentScope, type Scope } from '../runtime/scope.js';

/**
 * The owner of a new socket: the running greenlet rather than a nested timeout scope, so a socket
 * connected under `withTimeout` lives on with the greenlet; outside greenlets, the current scope.
 */
export function ownerScope(): Scope | undefined {
  return getCurrent() ?? currentScope();
}
