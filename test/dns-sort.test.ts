import t from 'tap';
import { execFile } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { sortAddresses } from '../src/resolver/sort.js';
import { transpiledSrc } from './helpers/transpiled.js';

// The destination sort asks the kernel for each address's source through one probing socket per
// family, one probe after the other: each order must still be the one its own sources give.

/** Loopback, this machine's own addresses, and addresses reached (if at all) through its routes. */
function candidates(): string[] {
  const own: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (!i.address.includes('%')) own.push(i.address);
  }
  return [...new Set(['127.0.0.1', '127.0.0.2', '::1', '192.0.2.55', '10.200.0.1', '169.254.9.9', '2001:db8::55', 'fd12:3456::1', 'fe80::9', ...own])];
}

t.test('sorts run at once give the orders they give one at a time', async (t) => {
  const pool = candidates();
  const lists: string[][] = [];
  for (let i = 0; i < pool.length; i++) {
    for (let j = 0; j < pool.length; j++) {
      if (i !== j) lists.push([pool[i]!, pool[j]!], [pool[i]!, pool[j]!, pool[(i + j) % pool.length]!]);
    }
  }
  const alone: string[][] = [];
  for (const list of lists) alone.push(await sortAddresses([...list]));
  const together = await Promise.all(lists.map((list) => sortAddresses([...list])));
  t.same(together, alone, `${lists.length} lists`);
  // A destination sort, not the input order: ::1 (precedence 50 in glibc's table) comes before
  // 127.0.0.1 (10, as ::ffff:0:0/96), unless IPv6 is off (no source for ::1: rule 1).
  const v6 = Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === '::1'));
  t.same(await sortAddresses(['127.0.0.1', '::1']), v6 ? ['::1', '127.0.0.1'] : ['127.0.0.1', '::1']);
});

t.test('an address list of one or none is returned as is, without a probe', async (t) => {
  const one = ['10.200.0.1'];
  t.equal(await sortAddresses(one), one);
  t.same(await sortAddresses([]), []);
});

t.test('the probing sockets do not hold the process alive', async (t) => {
  const url = new URL('resolver/sort.js', transpiledSrc(t, ['resolver'])).href;
  const code = `
    const { sortAddresses } = await import(${JSON.stringify(url)});
    const order = await sortAddresses(['127.0.0.1', '::1', '192.0.2.55', '2001:db8::55']);
    const holding = process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap' || r === 'Timeout');
    console.log(JSON.stringify({ order, holding }));`;
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', code], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
  const { order, holding } = JSON.parse(out) as { order: string[]; holding: string[] };
  t.same(holding, [], 'right after the sort, no socket or timer of it keeps the loop alive (the probing socket is open, unref\'d)');
  t.same([...order].sort(), ['127.0.0.1', '192.0.2.55', '2001:db8::55', '::1'], 'the child sorted and exited by itself');
});

t.test('a kill of the greenlet whose sort opened the probing socket leaves its idle close in place', async (t) => {
  // The socket is shared by every lookup's sort: the timer that closes it once idle must not be
  // the greenlet's, which the timers patch would clear with the greenlet.
  const lib = transpiledSrc(t, ['resolver', 'runtime', 'patch']);
  const code = `
    const { patchTimers } = await import(${JSON.stringify(new URL('patch/timers.js', lib).href)});
    const { spawn, Event } = await import(${JSON.stringify(new URL('runtime/index.js', lib).href)});
    const { sortAddresses } = await import(${JSON.stringify(new URL('resolver/sort.js', lib).href)});
    const { readdirSync, readlinkSync } = await import('node:fs');
    // The process's sockets, unref'd ones included: the probing socket, disconnected, is in no
    // /proc/net table. Counted beside those the child started with (its stdio).
    const sockets = () => readdirSync('/proc/self/fd').filter((fd) => {
      try { return readlinkSync('/proc/self/fd/' + fd).startsWith('socket:'); } catch { return false; }
    }).length;
    const base = sockets();
    const open = () => sockets() - base;
    patchTimers();
    const sorted = new Event();
    const g = spawn(async () => { await sortAddresses(['127.0.0.1', '127.0.0.2']); sorted.set(); await new Event().wait(); });
    await sorted.wait();
    await g.kill();
    const before = open();
    const deadline = Date.now() + 15_000;
    while (open() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    console.log(JSON.stringify({ before, after: open() }));`;
  const out = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', code], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(stdout.trim());
    });
  });
  const { before, after } = JSON.parse(out) as { before: number; after: number };
  t.equal(before, 1, 'the probing socket was open when the greenlet was killed');
  t.equal(after, 0, 'and was closed once idle all the same');
});
