// The published declarations: built with stripInternal, as `npm run build` does, they must still
// type-check on their own (an @internal declaration a public one names would leave a dangling
// reference), and no internal member may ship.
import t from 'tap';
import { join } from 'node:path';
import ts from 'typescript';
import { root } from './helpers/doc-examples.js';

const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
if (config === undefined) throw new Error('tsconfig.json could not be read');

t.equal(config.options.stripInternal, true, 'tsconfig strips @internal declarations');

const declarations = new Map<string, string>();
const build = ts.createProgram(config.fileNames, { ...config.options, emitDeclarationOnly: true, declaration: true, sourceMap: false, declarationMap: false, noCheck: true });
// noCheck: src is type-checked by the build; here only its declarations are wanted.
const emitted = build.emit(undefined, (file, text) => {
  if (file.endsWith('.d.ts')) declarations.set(file, text);
});
t.same(emitted.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), [], 'declarations emit');
t.ok(declarations.size > 50, `declarations written (${declarations.size})`);

// One program over the emitted declarations plus two probes, as a user's compiler sees them (one
// program: each one more parses and binds every library's types again, most of this file's time).
const probe = join(config.options.outDir!, '__surface_probe__.ts');
const failingProbe = join(config.options.outDir!, '__surface_probe_failing__.ts');
// Each `never` check fails to compile, naming the member, if that member ships on the type.
const source = `
import { Greenlet, Scope, currentScope, spawn } from './index.js';
type Mechanics = 'abort' | 'own' | 'disown' | 'enter' | 'release' | 'dispose' | 'outer' | 'ownedCount' | '_isTask' | '_takePendingKill';
const greenletLeaks: Extract<keyof Greenlet<number>, Mechanics> extends never ? true : false = true;
const g: Greenlet<number> = spawn(() => 1);
const signal: AbortSignal = g.signal;
const gevent = [g.dead, g.ready(), g.successful(), g.value, g.exception, g.started, g.name, g.parent, g.kill, g.join, g.get, g.link, g.unlink, g.start];
const scope: Scope | undefined = currentScope();
if (scope !== undefined) {
  const resource = { dispose: (reason: unknown) => void reason };
  scope.own(resource);
  scope.disown(resource);
  const aborted: boolean = scope.abort(new Error('x')) && scope.aborted && scope.closed;
  scope.release(null);
  const n: number = scope.enter(() => scope.ownedCount);
  const r: unknown = scope.reason;
  const s: AbortSignal = scope.signal;
  const o: Scope | null = scope.outer;
  void [aborted, n, r, s, o];
}
void [greenletLeaks, signal, gevent, new Scope()];
`;
// The probe must be able to fail: the same check over a type that has `abort` does not compile.
const failingSource = source.replace('keyof Greenlet<number>', 'keyof Greenlet<number> | keyof Scope');
const program = (() => {
  const options: ts.CompilerOptions = { ...config.options, noEmit: true, skipLibCheck: false, declaration: false };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile } = host;
  const files = new Map([...declarations, [probe, source], [failingProbe, failingSource]]);
  host.fileExists = (f) => files.has(f) || (!f.startsWith(join(root, 'dist')) && fileExists.call(host, f));
  host.readFile = (f) => files.get(f) ?? readFile.call(host, f);
  return ts.createProgram([...files.keys()], options, host);
})();

function errorsIn(program: ts.Program, fileNames: Iterable<string>): string[] {
  return [...fileNames]
    .flatMap((f) => { const file = program.getSourceFile(f); return file === undefined ? [] : [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]; })
    .map((d) => `${d.file!.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

t.test('the declarations type-check on their own', async (t) => {
  // Only our files are checked: the libraries' own declarations are not ours to judge, and
  // checking them all costs most of the time.
  t.same(errorsIn(program, declarations.keys()), []);
});

t.test('a Greenlet shows gevent\'s API and its signal; the scope mechanics are public on Scope only', async (t) => {
  t.same(errorsIn(program, [probe]), [], 'the probe compiles against the published types');
  t.match(errorsIn(program, [failingProbe]).join('\n'), /not assignable/, 'the probe fails for a type that shows them');
});

t.test('internal members do not ship', async (t) => {
  const text = (path: string): string => declarations.get(join(config.options.outDir!, path)) ?? '';
  t.notMatch(text('runtime/greenlet.d.ts'), /_run\(|kAddWaiter|kRemoveWaiter|kObserve/, 'Greenlet: _run and the waiter hooks');
  t.notMatch(text('runtime/wait.d.ts'), /kAddWaiter/);
  t.notMatch(text('runtime/scope.d.ts'), /_takePendingKill/);
  t.notMatch(text('internal/validate.d.ts'), /MAX_TIMER_SECONDS/);
  t.notMatch(text('resolver/hosts.d.ts'), /parseHosts/);
  t.notMatch(text('resolver/cares.d.ts'), /getaddrinfoError/);
  t.notMatch(text('runtime/index.d.ts'), /\bDisposable\b/, 'no export named like the global Disposable');
  t.match(text('runtime/index.d.ts'), /ScopeResource/);
});
