// Finds the fenced @example blocks of the TSDoc in src/ and type-checks them against the package
// as a user would import it ('nodevent', 'nodevent/patch', …), as gevent runs its doctests.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const root = fileURLToPath(new URL('../../', import.meta.url));

export interface DocExample {
  /** The source file, relative to the repository (src/runtime/wait.ts). */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The declaration the comment documents, for messages. */
  name: string;
  code: string;
  /** The fence says ```ts runnable: the example needs nothing beyond loopback and ends quickly. */
  runnable: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out.sort();
}

/** A fenced block: the 0-based line of its opening fence, its language, and its text. */
export interface FencedBlock {
  line: number;
  lang: string;
  /** The opening fence says `runnable` after the language (```ts runnable). */
  runnable: boolean;
  code: string;
}

/** The fenced blocks of `lines` (a Markdown file, or a doc comment without its `*` prefixes). */
export function fencedBlocks(lines: string[]): FencedBlock[] {
  const blocks: FencedBlock[] = [];
  let open: { line: number; lang: string; runnable: boolean } | undefined;
  lines.forEach((text, i) => {
    const fence = /^```(\w*)(\s+runnable)?\s*$/.exec(text.trim());
    if (fence === null) return;
    if (open === undefined) open = { line: i, lang: fence[1]!, runnable: fence[2] !== undefined };
    else {
      blocks.push({ ...open, code: lines.slice(open.line + 1, i).join('\n') });
      open = undefined;
    }
  });
  return blocks;
}

/**
 * Every ```ts fence inside a `/** … *\/` comment that carries an @example tag. A fence opened
 * with ```ts runnable marks an example that runs as its own program (see test/helpers/snippets.ts).
 */
export function extractExamples(srcDir = join(root, 'src')): DocExample[] {
  const examples: DocExample[] = [];
  for (const path of sourceFiles(srcDir)) {
    const text = readFileSync(path, 'utf8');
    const comment = /\/\*\*[\s\S]*?\*\//g;
    for (let m = comment.exec(text); m !== null; m = comment.exec(text)) {
      if (!m[0].includes('@example')) continue;
      const lines = m[0].split('\n').map((l) => l.replace(/^\s*\*( |$)/, ''));
      const startLine = text.slice(0, m.index).split('\n').length;
      const after = text.slice(m.index + m[0].length, m.index + m[0].length + 200);
      const name = /^\s*(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:static\s+)?(?:function\*?|class|interface|type|const|let|enum)?\s*([\w$]+)/.exec(after)?.[1] ?? '?';
      for (const block of fencedBlocks(lines)) {
        examples.push({ file: relative(root, path), line: startLine + block.line, name, code: block.code, runnable: block.runnable });
      }
    }
  }
  return examples;
}

/** README.md and docs/*.md, relative to the repository. */
export function docPages(): string[] {
  return ['README.md', ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
}

/** Every ```ts block of README.md and docs/*.md, as examples named by their page (the check of src's examples applies). */
export function markdownExamples(): DocExample[] {
  return docPages().flatMap((page) =>
    fencedBlocks(readFileSync(join(root, page), 'utf8').split('\n'))
      .filter((block) => block.lang === 'ts')
      .map((block) => ({ file: page, line: block.line + 1, name: 'snippet', code: block.code, runnable: block.runnable })),
  );
}

/** The package's entry points ('nodevent/patch' → src/patch/index.ts), read from package.json's exports. */
export function packagePaths(): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; exports: Record<string, string | { default: string }> };
  const paths: Record<string, string[]> = {};
  for (const [key, target] of Object.entries(pkg.exports)) {
    const file = typeof target === 'string' ? target : target.default;
    if (!file.startsWith('./dist/')) continue;
    const specifier = key === '.' ? pkg.name : `${pkg.name}/${key.slice(2)}`;
    paths[specifier] = [join(root, 'src', file.slice('./dist/'.length).replace(/\.js$/, '.ts'))];
  }
  return paths;
}

export interface CheckedExample extends DocExample {
  /** tsc's messages for the example, empty when it type-checks. */
  errors: string[];
}

/**
 * Type-checks every example as a module of its own (an ES module with top-level await), in one
 * program. The files are virtual: they exist only for the compiler host, under test/, so bare
 * imports (pg, undici) resolve from the repository's node_modules.
 */
export function checkExamples(examples: DocExample[]): CheckedExample[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2023.d.ts'],
    types: ['node'],
    strict: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    esModuleInterop: true,
    noEmit: true,
    baseUrl: root,
    paths: packagePaths(),
  };
  const virtual = new Map<string, string>();
  const byFile = new Map<string, DocExample>();
  examples.forEach((example, i) => {
    const path = join(root, 'test', '__doc_examples__', `example${i}.mts`);
    // `export {}` keeps each example a module even when it imports nothing.
    virtual.set(path, `${example.code}\nexport {};\n`);
    byFile.set(path, example);
  });
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => virtual.has(f) || fileExists.call(host, f);
  host.readFile = (f) => virtual.get(f) ?? readFile.call(host, f);
  host.getSourceFile = (f, language, onError, create) => {
    const text = virtual.get(f);
    return text === undefined ? getSourceFile.call(host, f, language, onError, create) : ts.createSourceFile(f, text, language, true);
  };
  const program = ts.createProgram([...virtual.keys()], options, host);
  const errors = new Map<string, string[]>();
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const f = d.file?.fileName;
    if (f === undefined || !virtual.has(f)) continue;
    const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
    const list = errors.get(f) ?? [];
    list.push(`line ${line + 1}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    errors.set(f, list);
  }
  return [...byFile].map(([f, example]) => ({ ...example, errors: errors.get(f) ?? [] }));
}

/**
 * A name for an example that survives edits above it: `file#declaration`, with `#2`, `#3` for the
 * second and third example on the same declaration.
 */
export function exampleKey(example: DocExample, all: DocExample[]): string {
  const same = all.filter((e) => e.file === example.file && e.name === example.name);
  const at = same.findIndex((e) => e.line === example.line);
  return `${example.file}#${example.name}${at > 0 ? `#${at + 1}` : ''}`;
}

/** The examples to run: those fenced ```ts runnable. */
export function runnableExamples(all: DocExample[]): DocExample[] {
  return all.filter((e) => e.runnable);
}
