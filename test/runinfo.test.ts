import t from 'tap';
import { execFile } from 'node:child_process';
import { until } from './helpers/servers.js';
import { transpiledSrc } from './helpers/transpiled.js';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  GreenletExit, channels, diagnostics, formatRunInfo, getCurrent, isTracking, lifecycleChannels, runInfo, sleep,
  spawn, spawnLater, trackGreenlets, type Greenlet, type GreenletInfo,
} from '../src/runtime/index.js';

function find(list: GreenletInfo[], greenlet: Greenlet): GreenletInfo | undefined {
  for (const info of list) {
    if (info.greenlet === greenlet) return info;
    const inner = find(info.children, greenlet);
    if (inner !== undefined) return inner;
  }
  return undefined;
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

t.test('runInfo shows the spawn tree: parent → child, with spawn stacks', async (t) => {
  const tracking = trackGreenlets();
  t.teardown(() => tracking.stop());
  const release = gate();
  let child!: Greenlet;
  const parent = spawn(async () => {
    child = spawn(() => release.promise);
    child.name = 'child';
    await child;
  });
  parent.name = 'parent';
  await sleep(0);
  const info = runInfo();
  const p = find(info, parent);
  t.ok(p, 'parent listed');
  t.equal(info.includes(p!), true, 'parent is a root (spawned outside any greenlet)');
  t.equal(p!.children.length, 1);
  t.equal(p!.children[0]!.greenlet, child, 'child under its parent');
  t.equal(p!.state, 'suspended');
  t.equal(p!.children[0]!.state, 'suspended');
  t.equal(p!.tracked, true);
  t.equal(p!.owned, 2, 'parent owns its child, and its own wait on the child (runtime waits belong to the waiter)');
  t.type(p!.age, 'number');
  t.match(p!.spawnStack, /runinfo\.test\.ts/, 'spawn stack points at the test');
  t.notMatch(p!.spawnStack, /greenlet\.ts/, 'runtime frames left out');
  const text = formatRunInfo(info);
  t.match(text, /<Greenlet "parent"> suspended/);
  t.match(text, /└─ <Greenlet "child"> suspended/);
  t.match(text, /spawned at .*runinfo\.test\.ts/);
  release.open();
  await parent;
  t.equal(find(runInfo(), parent), undefined, 'dead greenlets leave the registry');
  t.equal(find(runInfo(), child), undefined);
});

t.test('a scheduled greenlet is listed as waiting on start; the caller as running', async (t) => {
  const tracking = trackGreenlets();
  t.teardown(() => tracking.stop());
  const g = spawn(() => 1);
  const info = find(runInfo(), g);
  t.equal(info?.state, 'scheduled');
  t.equal(info?.waitingOn, 'start');
  await g;
  const self = spawn(() => find(runInfo(), getCurrent()!)?.state);
  t.equal(await self, 'running');
});

t.test('a spawnLater greenlet is listed while its delay runs, with where spawnLater was called', async (t) => {
  const tracking = trackGreenlets();
  t.teardown(() => tracking.stop());
  const later = spawnLater(60, () => 1);
  t.teardown(() => later.kill());
  const info = find(runInfo(), later);
  t.equal(info?.state, 'scheduled');
  t.equal(info?.waitingOn, 'start');
  t.match(info?.spawnStack, /runinfo\.test\.ts/, 'the stack names the spawnLater call');
});

t.test('only greenlets started after tracking began are listed; live ancestors are shown untracked', async (t) => {
  const release = gate();
  const early = spawn(() => release.promise);
  let lateSpawned = false;
  const earlyParent = spawn(async () => {
    await sleep(0.02);
    const late = spawn(() => release.promise);
    late.name = 'late-child';
    lateSpawned = true;
    await late;
  });
  await sleep(0);
  const tracking = trackGreenlets();
  t.teardown(() => tracking.stop());
  t.equal(find(runInfo(), early), undefined, 'spawned before tracking: unknown');
  await until(() => lateSpawned);
  const info = runInfo();
  const ancestor = find(info, earlyParent);
  t.ok(ancestor, 'untracked ancestor shown through parent');
  t.equal(ancestor!.tracked, false);
  t.equal(ancestor!.age, null);
  t.equal(ancestor!.children[0]?.name, 'late-child');
  t.equal(ancestor!.children[0]?.tracked, true);
  t.match(formatRunInfo(info), /spawned before tracking began/);
  release.open();
  await Promise.all([early, earlyParent]);
});

t.test('captureStack: false keeps no stacks', async (t) => {
  const tracking = trackGreenlets({ captureStack: false });
  t.teardown(() => tracking.stop());
  const release = gate();
  const g = spawn(() => release.promise);
  await sleep(0);
  const info = find(runInfo(), g);
  t.ok(info);
  t.equal(info!.spawnStack, null);
  release.open();
  await g;
});

t.test('tracking off: nothing subscribed, only the calling greenlet and its ancestors are known', async (t) => {
  t.equal(isTracking(), false);
  t.equal(diagnostics.spawn.hasSubscribers, false);
  t.equal(diagnostics.end.hasSubscribers, false);
  const tracking = trackGreenlets();
  const second = trackGreenlets({ captureStack: false });
  t.equal(diagnostics.spawn.hasSubscribers, true);
  tracking.stop();
  tracking.stop(); // idempotent: must not release the second holder
  t.equal(isTracking(), true, 'tracking lasts while a handle is held');
  second.stop();
  t.equal(isTracking(), false);
  t.equal(diagnostics.spawn.hasSubscribers, false, 'spawn channel has no subscribers');
  t.equal(diagnostics.start.hasSubscribers, false);
  t.equal(diagnostics.end.hasSubscribers, false);

  const other = spawn(() => sleep(0.05));
  t.same(runInfo(), [], 'outside greenlets with tracking off: nothing');
  const inner = spawn(async () => {
    const child = spawn(() => runInfo());
    return await child;
  });
  const info = await inner;
  t.equal(info.length, 1);
  t.equal(info[0]!.greenlet, inner);
  t.equal(info[0]!.children[0]?.state, 'running');
  t.equal(find(info, other), undefined);
  t.match(formatRunInfo(info), /tracking is off/);
  await other;
});

t.test('killed and failed events on diagnostics_channel', async (t) => {
  const tracking = trackGreenlets({ captureStack: false });
  t.teardown(() => tracking.stop());
  const killed: unknown[] = [];
  const failed: unknown[] = [];
  const onKilled = (g: unknown): void => void killed.push(g);
  const onFailed = (g: unknown): void => void failed.push(g);
  subscribe('nodevent:greenlet:killed', onKilled);
  subscribe('nodevent:greenlet:failed', onFailed);
  t.teardown(() => {
    unsubscribe('nodevent:greenlet:killed', onKilled);
    unsubscribe('nodevent:greenlet:failed', onFailed);
  });
  const ok = spawn(() => 1);
  const victim = spawn(() => sleep(10));
  const broken = spawn(() => { throw new Error('boom'); });
  broken.link(() => {}); // observed: keep the hub quiet
  await sleep(0);
  await victim.kill();
  await ok;
  await broken.join();
  t.same(killed, [victim]);
  t.same(failed, [broken]);
  t.ok(victim.value instanceof GreenletExit);
  t.equal(diagnostics.killed.name, 'nodevent:greenlet:killed');
  t.equal(lifecycleChannels.killed, diagnostics.killed, 'the deprecated lifecycleChannels are the same channels');
  t.equal(lifecycleChannels.failed, diagnostics.failed);
  t.equal(channels, diagnostics, 'the deprecated channels is diagnostics');
});

t.test('killed and failed are published by the runtime, also with tracking off', async (t) => {
  t.equal(isTracking(), false);
  const killed: unknown[] = [];
  const failed: unknown[] = [];
  const onKilled = (g: unknown): void => void killed.push(g);
  const onFailed = (g: unknown): void => void failed.push(g);
  diagnostics.killed.subscribe(onKilled);
  diagnostics.failed.subscribe(onFailed);
  t.teardown(() => {
    diagnostics.killed.unsubscribe(onKilled);
    diagnostics.failed.unsubscribe(onFailed);
  });
  const victim = spawn(() => sleep(10));
  const broken = spawn(() => { throw new Error('boom'); });
  broken.link(() => {}); // observed: keep the hub quiet
  await sleep(0);
  await victim.kill();
  await broken.join();
  t.same(killed, [victim]);
  t.same(failed, [broken]);
});

t.test('bad options', async (t) => {
  t.throws(() => trackGreenlets(null as never), TypeError);
  t.throws(() => trackGreenlets({ captureStack: 'yes' as never }), { name: 'TypeError', message: /options\.captureStack/ });
  t.equal(isTracking(), false, 'a rejected call holds nothing');
});

t.test('NODEVENT_TRACK=1 tracks from load', async (t) => {
  // Plain node on a transpiled copy: three starts with the TypeScript loader took seconds each.
  const index = new URL('runtime/index.js', transpiledSrc(t, ['runtime', 'internal'])).href;
  const code = `
    const { spawn, sleep, runInfo, isTracking } = await import(${JSON.stringify(index)});
    const g = spawn(() => sleep(60));
    await sleep(0);
    const [info] = runInfo();
    console.log(JSON.stringify({ tracking: isTracking(), name: info?.name === g.name, stack: info !== undefined && info.spawnStack !== null }));
    await g.kill();`;
  const run = (value: string): Promise<string> => new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', code],
      { env: { ...process.env, NODEVENT_TRACK: value }, timeout: 30_000 },
      (error, stdout) => (error ? reject(error) : resolve(stdout.trim().split('\n').pop()!)));
  });
  const [on, nostack, off] = await Promise.all([run('1'), run('nostack'), run('0')]);
  t.same(JSON.parse(on), { tracking: true, name: true, stack: true });
  t.same(JSON.parse(nostack), { tracking: true, name: true, stack: false });
  t.same(JSON.parse(off), { tracking: false, name: false, stack: false });
});
