// The body of the four doc-examples-run test files, which split the runnable @examples of src/
// between them (runtime core, coordination, net, the rest) so that each file stays well within its
// time budget.
import type { Test } from 'tap';
import { extractExamples, runnableExamples, type DocExample } from './doc-examples.js';
import { describeRun, runSnippets, snippetHome } from './snippets.js';

/** The runtime's core files (greenlets, scopes, timeouts, waits, the hub, diagnostics). */
export const coreRuntime = /^src\/runtime\/(greenlet|spawn|scope|timeout|sleep|wait|joinall|hub|errors|diagnostics|monitor|runinfo|local|abortable|runqueue)\.ts$/;

/**
 * Runs the runnable examples that `pick` selects, 2 at a time, with `env` added to their
 * environment (servers' URLs); each must exit 0 within 20 s.
 */
export async function runExamples(t: Test, pick: (example: DocExample) => boolean, env: Record<string, string> = {}): Promise<void> {
  const chosen = runnableExamples(extractExamples()).filter(pick);
  t.ok(chosen.length > 0, `${chosen.length} examples to run`);
  const runs = await runSnippets(
    t,
    snippetHome(t),
    chosen.map((e) => ({ where: `${e.file}:${e.line} (${e.name})`, code: e.code })),
    { timeout: 20, concurrency: 2, env },
  );
  for (const run of runs) t.ok(run.code === 0 && !run.timedOut, run.snippet.where, { details: describeRun(run) });
}
