// Which Node line `npm run bench` measures on (`--node`, default auto).
//
// Node 20, what a fresh machine ships, is end-of-life; users run 22, 24 and 26. Measured on 20,
// the greenlet variant paid about 16 µs of CPU per name for AsyncLocalStorage's async_hooks and an
// older V8 (5 µs on 26), and the figures would describe a line nobody should run. So by default an
// end-of-life Node measures on the newest line, installed from the npm registry when missing
// (scripts/node-line.mjs), and a supported one measures itself.

/** The newest Node line, measured when the running one is end-of-life. */
export const NEWEST_LINE = '26';
/** The oldest Node line still supported (major version). */
export const OLDEST_SUPPORTED = 22;

/**
 * The line to measure on: 'current' (this process's Node) or a line or version for
 * scripts/node-line.mjs. `requested` is `--node`: 'auto', 'current', a line (24) or a version
 * (24.11.0); `version` is the running Node's (process.version).
 */
export function chooseLine(requested, version) {
  if (requested === 'current') return 'current';
  if (requested === 'auto') {
    const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
    return major >= OLDEST_SUPPORTED ? 'current' : NEWEST_LINE;
  }
  if (!/^\d+(\.\d+){0,2}$/.test(requested)) {
    throw new RangeError(`--node: "${requested}" is not a Node line (24) or version (24.11.0), nor "auto" or "current"`);
  }
  const wanted = `v${requested}`;
  return version === wanted || version.startsWith(`${wanted}.`) ? 'current' : requested;
}
