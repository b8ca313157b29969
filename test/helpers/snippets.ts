// Runs documentation snippets (the @examples of src/ and the fenced blocks of README.md and
// docs/*.md marked `runnable`) as programs of their own, importing the package by its name as a
// user does. The package is the library's source transpiled once per test file (no type check:
// test/doc-examples.test.ts does that) into a copy of the package under node_modules/.cache, whose
// package.json carries the real "exports"; a snippet sits next to that copy's node_modules, so
// `import … from 'nodevent/patch'` resolves through "exports", and every other bare import (axios,
// redis) from the project's node_modules further up.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { fencedBlocks, root } from './doc-examples.js';

/** What the helpers need of a tap test. */
export interface Teardown {
  teardown(fn: () => void): void;
}

/** One snippet: where it was written (for messages) and its TypeScript or JavaScript text. */
export interface Snippet {
  where: string;
  code: string;
}

/** How a snippet's program ended. */
export interface SnippetRun {
  snippet: Snippet;
  /** The exit code; null when the process was killed. */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** True when it outlived its time limit and was killed with its process group. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
  seconds: number;
}

function transpile(code: string): string {
  return ts.transpileModule(code, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
}

function copySources(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const entry of readdirSync(from, { withFileTypes: true })) {
    if (entry.isDirectory()) copySources(join(from, entry.name), join(to, entry.name));
    else if (entry.name.endsWith('.ts')) {
      writeFileSync(join(to, entry.name.replace(/\.ts$/, '.js')), transpile(readFileSync(join(from, entry.name), 'utf8')));
    }
  }
}

let made = 0;

/**
 * A directory holding the package, installed as node_modules/nodevent (its dist/ transpiled from
 * src/), where snippets are written and run. Removed at `t`'s teardown.
 */
export function snippetHome(t: Teardown): string {
  const home = join(root, 'node_modules', '.cache', `nodevent-snippets-${process.pid}-${made++}`);
  t.teardown(() => rmSync(home, { recursive: true, force: true }));
  const pkgDir = join(home, 'node_modules', 'nodevent');
  copySources(join(root, 'src'), join(pkgDir, 'dist'));
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(join(pkgDir, 'package.json'), JSON.stringify({ name: pkg.name, version: pkg.version, type: 'module', exports: pkg.exports }));
  return home;
}

/** Options of `runSnippets`. */
export interface RunOptions {
  /** Seconds each program may take before its process group is killed. */
  timeout: number;
  /** How many programs run at once (the machine is shared). */
  concurrency?: number;
  /** Variables added to each program's environment (servers' URLs). */
  env?: Record<string, string>;
}

function runOne(t: Teardown, home: string, snippet: Snippet, index: number, options: RunOptions): Promise<SnippetRun> {
  const file = join(home, `snippet-${index}.mjs`);
  writeFileSync(file, `// ${snippet.where}\n${transpile(snippet.code)}`);
  // The test runner's loader hooks (NODE_OPTIONS) are not what a user's program runs with.
  const { NODE_OPTIONS: _, ...env } = process.env;
  const started = performance.now();
  // Its own process group: a snippet that starts children (a pool's workers) dies with them.
  const child = spawn(process.execPath, [file], { cwd: home, detached: true, env: { ...env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const killGroup = (): void => {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  t.teardown(killGroup);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup();
  }, options.timeout * 1000);
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // Whatever the snippet left running in its group (a detached grandchild) goes with it.
      killGroup();
      resolve({ snippet, code, signal, timedOut, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** Runs every snippet as its own program, `concurrency` at a time; resolves in the given order. */
export async function runSnippets(t: Teardown, home: string, snippets: Snippet[], options: RunOptions): Promise<SnippetRun[]> {
  const results: SnippetRun[] = new Array(snippets.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < snippets.length) {
      const i = next++;
      results[i] = await runOne(t, home, snippets[i]!, i, options);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 2 }, worker));
  return results;
}

/** Every fenced ```ts runnable / ```js runnable block of a Markdown file. */
export function markdownSnippets(path: string): Snippet[] {
  return fencedBlocks(readFileSync(path, 'utf8').split('\n'))
    .filter((block) => block.runnable && (block.lang === 'ts' || block.lang === 'js'))
    .map((block) => ({ where: `${relative(root, path)}:${block.line + 1}`, code: block.code }));
}

/** A run's outcome for a failed assertion's message. */
export function describeRun(run: SnippetRun): string {
  const how = run.timedOut ? `killed after its time limit (${run.seconds.toFixed(1)} s)` : `exit ${run.code ?? run.signal}`;
  return `${run.snippet.where}: ${how}\n--- stdout\n${run.stdout.slice(-2000)}\n--- stderr\n${run.stderr.slice(-4000)}`;
}
