// Runs the programs of examples/ as a user would (through examples/run.mjs, both sides of a pair
// from one command) for test/examples*.test.ts, and normalises what they print.
//
// Each run is the leader of its own process group behind test/fixtures/process-group.mjs: the
// group is killed when the program ends, when the run's time limit passes, at the test's teardown,
// and, because the guard watches a pipe this process holds, when this test process dies by any
// means (tap's timeout included). No example, nor a redis-server or pool child it started,
// outlives the test.
//
// The examples import the package by name ('nodevent', 'nodevent/net', ...), which resolves to
// dist/ through the exports map: build first (`npx tsc -p .`; in CI `npm ci` runs `prepare`).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import type { Test } from 'tap';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const guard = join(root, 'test', 'fixtures', 'process-group.mjs');

/** Why the example tests skip, or false: the examples need dist/. */
export const notBuilt = existsSync(join(root, 'dist', 'index.js')) && existsSync(join(root, 'dist', 'testing', 'index.js'))
  ? false
  : 'dist/ is not built: run `npx tsc -p .` first (CI builds it in `npm ci`)';

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string[];
  stderr: string;
}

/** What the runner needs of a tap test. */
export interface Teardown {
  teardown(fn: () => void): void;
}

/**
 * Starts runs of examples/ for one test file, `lanes` at a time. Every run still going at `t`'s
 * teardown is killed with its process group.
 */
export function exampleRunner(t: Teardown, lanes = 2) {
  const live = new Set<ChildProcess>();
  t.teardown(() => {
    for (const child of live) killGroup(child);
  });

  /** Runs `node [nodeArgs] examples/<script> [args]`, killing its group after `limit` seconds. */
  function runNode(script: string, args: string[] = [], nodeArgs: string[] = [], limit = 60): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [guard, ...nodeArgs, join(root, 'examples', script), ...args], {
        cwd: root,
        // stdin stays open: the guard kills the example's group when it closes.
        stdio: ['pipe', 'pipe', 'pipe'],
        // The examples run without the test runner's loaders.
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      live.add(child);
      let out = '';
      let err = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
      child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
      const timer = setTimeout(() => {
        err += `\n[test] killed after ${limit} s`;
        killGroup(child);
      }, limit * 1000);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        live.delete(child);
        resolve({ code, signal, stdout: out.split('\n').filter((l) => l !== ''), stderr: err });
      });
    });
  }

  const lane = pLimit(lanes);
  return {
    runNode,
    /** `node examples/run.mjs <name> [args]`, in a lane. */
    example: (name: string, args: string[] = [], nodeArgs: string[] = []): Promise<Run> =>
      lane(() => runNode('run.mjs', [name, ...args], nodeArgs)),
    /** `node [nodeArgs] examples/<script> [args]`, in a lane. */
    direct: (script: string, args: string[] = [], nodeArgs: string[] = []): Promise<Run> =>
      lane(() => runNode(script, args, nodeArgs)),
  };
}

/** Closing the guard's stdin kills the example's group; SIGTERM makes the guard do the same. */
function killGroup(child: ChildProcess): void {
  child.stdin?.destroy();
  child.kill('SIGTERM');
}

/** Lines of one side of a pair run (`[side] line`). */
export function side(run: Run, name: string): string[] {
  const prefix = `[${name}] `;
  return run.stdout.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
}

/** Normalises what differs from run to run (and from the chapter's machine). */
export function norm(line: string): string {
  return line
    .replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}/g, '<time>')
    .replace(/\[\d\d\/[A-Z][a-z]{2}\/\d{4} \d\d:\d\d:\d\d\]/g, '[<date>]')
    .replace(/<socket[^>]*>/g, '<socket>')
    .replace(/\b\d{1,3}(\.\d{1,3}){3}\b/g, '<ip>')
    .replace(/\('<ip>', \d+\)/g, "('<ip>', <port>)")
    .replace(/^(Dryer process )\d+/, '$1<pid>')
    .replace(/^\d+: dried/, '<pid>: dried');
}

export function failed(run: Run): string {
  return `exit ${run.code ?? run.signal}; stderr:\n${run.stderr.slice(-2000)}`;
}

const CATS = ['siamese', 'persian', 'maine coon', 'norwegian forest'];
const HATS = ['stovepipe', 'bowler', 'tam-o-shanter', 'fedora'];
/** The two topics the chapter's subscribers listen to. */
export const TOPICS = ['maine coon', 'persian'];

/** Checks a publisher's and a subscriber's lines as the chapter's: 10 random pairs, the topics' ones received in order. */
export function checkPubSub(t: Test, pub: string[], sub: string[]): void {
  t.equal(pub.length, 10, 'ten messages published');
  for (const line of pub) {
    const m = /^Publish: (.+) wears a (.+)$/.exec(line);
    t.ok(m && CATS.includes(m[1]!) && HATS.includes(m[2]!), `a cat wears a hat: ${line}`);
  }
  const expected = pub.filter((l) => TOPICS.some((topic) => l.startsWith(`Publish: ${topic} wears`))).map((l) => l.replace('Publish', 'Subscribe'));
  t.same(sub, expected, 'the subscriber printed the messages of its two topics, in order');
}
