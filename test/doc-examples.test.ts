// Every fenced @example in src/, and every ```ts snippet of README.md and docs/, type-checks against
// the package as a user imports it, and is self-contained: it imports what it uses (from
// 'nodevent', 'nodevent/patch', …) and declares every other name. test/doc-examples-run*.test.ts
// run the examples marked runnable, test/doc-snippets.test.ts the snippets.
//
// Internal modules (the client patches' helpers in src/patch/clients, src/internal/registry's
// `replace`, src/testing/server-process, runtime/queue-errors' `untilShutDown`) carry no fenced
// example: what they declare is not exported by the package, so an example could only import it
// from src/, which no user can. Their prose says how they are used.
import t from 'tap';
import { checkExamples, extractExamples, markdownExamples, runnableExamples } from './helpers/doc-examples.js';

const examples = extractExamples();
const snippets = markdownExamples();
// One program for both: the compiler loads the package and Node's types once.
const checked = checkExamples([...examples, ...snippets]);

t.ok(examples.length >= 100, `the extractor finds the examples (${examples.length})`);
t.ok(snippets.length >= 15, `and the docs' ts snippets (${snippets.length})`);

for (const example of checked) {
  t.same(example.errors, [], `${example.file}:${example.line} (${example.name}) type-checks`);
}

t.comment(`${checked.filter((e) => e.errors.length === 0).length} of ${checked.length} examples type-check`);

t.test('every example imports from the package, never from src', async (t) => {
  for (const example of [...examples, ...snippets]) {
    t.notMatch(example.code, /from '\.{1,2}\//, `${example.file}:${example.line} (${example.name})`);
  }
});

t.test('most examples are marked runnable', async (t) => {
  const runnable = runnableExamples(examples);
  t.ok(runnable.length >= 100, `${runnable.length} of ${examples.length} are runnable`);
});
