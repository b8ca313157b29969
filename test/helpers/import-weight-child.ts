// Which of Node's heavy built-ins `import 'nodevent'` loads, and which patchAll() then loads. Run
// as its own program, so that nothing else loaded them first; prints one JSON line.
const heavy = /^NativeModule (http|https|tls|internal\/deps\/undici\/undici)$/;
const loaded = (): string[] => process.moduleLoadList.filter((entry) => heavy.test(entry)).map((entry) => entry.slice('NativeModule '.length)).sort();
const before = loaded();
const { patchAll, getOriginal } = await import('../../src/index.js');
const atImport = loaded();
patchAll();
const atPatch = loaded();
const http = await import('node:http');
console.log(JSON.stringify({ before, atImport, atPatch, original: getOriginal('http', 'request') !== http.request }));
