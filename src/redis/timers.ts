// Intervals taken before any timers patch, like src/runtime/timers.ts: a lease renewal must not be
// owned (and cleared) by the greenlet that happened to start it.
export const rawSetInterval = globalThis.setInterval;
export const rawClearInterval = globalThis.clearInterval;
