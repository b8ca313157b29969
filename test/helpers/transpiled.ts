// The library's source as plain JavaScript, for child processes a test starts: transpiled once per
// test file (TypeScript's transpileModule, no type check) into node_modules/.cache so that package
// imports (`redis`, …) resolve from the project. A child then runs on plain node instead of
// loading the test runner's TypeScript loader, which costs seconds per start on a busy machine.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import ts from 'typescript';

/** What the helper needs of a tap test. */
export interface Teardown {
  teardown(fn: () => void): void;
}

let made = 0;

/**
 * Transpiles `src/<area>/*.ts` for each area (and `src/internal`) into a fresh directory and returns its URL (ending in
 * `/`): import `${url}runtime/index.js`. The directory is removed at `t`'s teardown.
 */
export function transpiledSrc(t: Teardown, areas: string[]): URL {
  const root = new URL('../../', import.meta.url);
  const lib = new URL(`node_modules/.cache/nodevent-test-${process.pid}-${made++}/`, root);
  t.teardown(() => rmSync(lib, { recursive: true, force: true }));
  // Every layer imports src/internal (validation, the raw timers): it always comes along.
  for (const area of new Set([...areas, 'internal'])) {
    const from = new URL(`src/${area}/`, root);
    const to = new URL(`${area}/`, lib);
    mkdirSync(to, { recursive: true });
    for (const file of readdirSync(from).filter((f) => f.endsWith('.ts'))) {
      const out = ts.transpileModule(readFileSync(new URL(file, from), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      });
      writeFileSync(new URL(file.replace(/\.ts$/, '.js'), to), out.outputText);
    }
  }
  return lib;
}
