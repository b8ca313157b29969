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

t.test('the declarations type-check on their own', async (t) => {
  const options: ts.CompilerOptions = { ...config.options, noEmit: true, skipLibCheck: false, declaration: false };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile } = host;
  host.fileExists = (f) => declarations.has(f) || (!f.startsWith(join(root, 'dist')) && fileExists.call(host, f));
  host.readFile = (f) => declarations.get(f) ?? readFile.call(host, f);
  const program = ts.createProgram([...declarations.keys()], options, host);
  // Only our files are checked: the libraries' own declarations are not ours to judge, and
  // checking them all costs most of the time.
  const errors = [...declarations.keys()]
    .flatMap((f) => { const file = program.getSourceFile(f); return file === undefined ? [] : [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)]; })
    .map((d) => `${d.file!.fileName}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  t.same(errors, []);
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
