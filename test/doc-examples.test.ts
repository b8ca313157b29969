// Every fenced @example in src/ type-checks against the package as a user imports it, and is
// self-contained: it imports what it uses (from 'nodevent', 'nodevent/patch', …) and declares
// every other name.
import t from 'tap';
import { checkExamples, exampleKey, extractExamples } from './helpers/doc-examples.js';

// Examples not fixed yet: each is still checked, as a todo, and must still fail (so that a fixed
// one leaves the list). The list only shrinks. Internal modules' examples (patch/clients helpers,
// testing/server-process) cannot import what they show from the package: their declarations
// are not exported by it.
const pending = new Set([
  'src/patch/clients/blocking.ts#BLOCKING',
  'src/patch/clients/loader.ts#WatchedFile',
  'src/patch/clients/loader.ts#watchModule',
  'src/patch/clients/patcher.ts#ClientPatcher',
  'src/patch/clients/patcher.ts#runsOutside',
  'src/patch/clients/patcher.ts#poolOwnCheckout',
  'src/patch/clients/patcher.ts#takePoolOwnCheckout',
  'src/patch/clients/request.ts#requestScope',
  'src/patch/clients/request.ts#ScopedRequest',
  'src/patch/clients/request.ts#bindScope',
  'src/patch/clients/request.ts#noop',
  'src/internal/registry.ts#replace',
  'src/runtime/queue-errors.ts#untilShutDown',
  'src/testing/server-process.ts#findBinary',
  'src/testing/server-process.ts#freePort',
  'src/testing/server-process.ts#run',
  'src/testing/server-process.ts#ServerProcess',
  'src/testing/server-process.ts#startProcess',
  'src/testing/server-process.ts#readyToServe',
]);

const examples = extractExamples();
const checked = checkExamples(examples);

t.ok(examples.length >= 100, `the extractor finds the examples (${examples.length})`);

for (const example of checked) {
  const key = exampleKey(example, examples);
  const where = `${example.file}:${example.line} (${example.name})`;
  if (pending.has(key)) {
    t.same(example.errors, [], `${where} type-checks`, { todo: 'pending: listed in test/doc-examples.test.ts' });
    t.not(example.errors.length, 0, `${key} still fails: remove it from the pending list`);
  } else {
    t.same(example.errors, [], `${where} type-checks`);
  }
}

t.test('the pending list names only examples that exist', async (t) => {
  const keys = new Set(examples.map((e) => exampleKey(e, examples)));
  for (const key of pending) t.ok(keys.has(key), key);
});

t.comment(`${checked.filter((e) => e.errors.length === 0).length} of ${checked.length} examples type-check`);

t.test('every example imports from the package, never from src', async (t) => {
  for (const example of examples) {
    if (pending.has(exampleKey(example, examples))) continue;
    t.notMatch(example.code, /from '\.{1,2}\//, `${example.file}:${example.line} (${example.name})`);
  }
});
