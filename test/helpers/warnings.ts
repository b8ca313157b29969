// Collects the process warnings emitted while a test runs, less the one the test runner causes.
//
// On Node 26, tap's TypeScript loader (ts-node, registered with `module.register()`) triggers
// DEP0205 "module.register() is deprecated" once per test process. tap already passes
// --no-warnings there so it is not printed, but the 'warning' event still fires, and Node may
// deliver it after the test file has started listening. It says nothing about nodevent, so it is
// the one warning left out; every other warning, deprecations included, is kept.
/** What the collector needs of a tap test. */
export interface Teardown {
  teardown(fn: () => void): void;
}

/** The test runner's own warning: tap's loader calls `module.register()` (DEP0205 on Node ≥ 26). */
function fromTestRunner(w: Error & { code?: string }): boolean {
  return w.name === 'DeprecationWarning' && w.code === 'DEP0205';
}

/** Starts collecting warnings; the returned array fills until `t`'s teardown. */
export function collectWarnings(t: Teardown): Error[] {
  const warnings: Error[] = [];
  const onWarning = (w: Error) => {
    if (!fromTestRunner(w)) warnings.push(w);
  };
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  return warnings;
}
