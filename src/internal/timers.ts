// The runtime's own timers are taken from the global scope when nodevent loads, before any patch:
// a sleep or a timeout must not be owned (and cleared) a second time by the timers patch.

/** The original `setTimeout`, captured at load. */
export const rawSetTimeout = globalThis.setTimeout;
/** The original `clearTimeout`, captured at load. */
export const rawClearTimeout = globalThis.clearTimeout;
/** The original `setImmediate`, captured at load. */
export const rawSetImmediate = globalThis.setImmediate;
/** The original `clearImmediate`, captured at load. */
export const rawClearImmediate = globalThis.clearImmediate;

// Intervals too: a Redis lease renewal must not be owned (and cleared) by the greenlet that happened
// to start it.

/** The original `setInterval`, captured at load. */
export const rawSetInterval = globalThis.setInterval;
/** The original `clearInterval`, captured at load. */
export const rawClearInterval = globalThis.clearInterval;
