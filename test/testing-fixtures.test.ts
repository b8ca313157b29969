// The servers that nodevent/testing starts die with the test process, however it dies: a test
// process SIGKILLed by its runner's timeout runs no 'exit' handler, so a server kept alive only
// by one would outlive the suite (it did: redis-servers left behind by killed runs).
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { findPostgres, findRedisServer } from '../src/testing/index.js';

const testing = new URL('../src/testing/index.ts', import.meta.url);

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Starts a fixture in a child test process, SIGKILLs that process, and waits for the port to close. */
async function killedWithItsTest(t: Test, start: string): Promise<void> {
  const code = `import(${JSON.stringify(fileURLToPath(testing))}).then(async (m) => { const s = await m.${start}(); console.log('PORT', s.port); setInterval(() => {}, 1000); });`;
  // The same loaders as this test process (tap's TypeScript import), so src/ runs as it is.
  const child = spawn(process.execPath, [...process.execArgv, '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => { child.kill('SIGKILL'); });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk;
      const match = /PORT (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`fixture process exited (${code}) before its server was up: ${out}`)));
  });
  t.ok(await accepts(port), 'the server accepts connections');
  child.kill('SIGKILL');
  // Wait for the state, bounded: the guard notices its closed stdin and kills the server's group.
  let open = true;
  for (let i = 0; i < 400 && open; i++) {
    open = await accepts(port);
    if (open) await new Promise((resolve) => setTimeout(resolve, 25));
  }
  t.notOk(open, 'the server is gone once the test process was SIGKILLed');
}

t.test('redis-server dies with a SIGKILLed test process', { skip: findRedisServer() === null && 'redis-server not installed' }, (t) =>
  killedWithItsTest(t, 'startRedisServer'));

t.test('postgres dies with a SIGKILLed test process', { skip: findPostgres() === null && 'postgres not installed' }, (t) =>
  killedWithItsTest(t, 'startPostgresServer'));
