/**
 * Redis commands that can wait on the server: ioredis's BLOCKING_COMMANDS, plus WAIT/WAITAOF.
 */
export const BLOCKING: ReadonlySet<string> = new Set([
  'blpop', 'brpop', 'brpoplpush', 'blmove', 'blmpop', 'bzpopmin', 'bzpopmax', 'bzmpop', 'xread', 'xreadgroup', 'wait', 'waitaof',
]);
