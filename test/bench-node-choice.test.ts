// Which Node line `npm run bench` measures on: an end-of-life Node (20) measures on the newest
// line, a supported one on itself, and `--node` names a line or keeps the running one.
import t from 'tap';

type ChooseLine = (requested: string, version: string) => string;
const { chooseLine, NEWEST_LINE } = (await import(new URL('../bench/node-choice.mjs', import.meta.url).href)) as { chooseLine: ChooseLine; NEWEST_LINE: string };

t.test('by default an end-of-life Node measures on the newest line, a supported one on itself', async (t) => {
  t.equal(NEWEST_LINE, '26');
  t.equal(chooseLine('auto', 'v20.20.2'), '26', 'Node 20');
  t.equal(chooseLine('auto', 'v18.19.0'), '26', 'Node 18');
  t.equal(chooseLine('auto', 'v22.23.5'), 'current', 'Node 22');
  t.equal(chooseLine('auto', 'v24.22.3'), 'current', 'Node 24');
  t.equal(chooseLine('auto', 'v26.12.1'), 'current', 'Node 26');
  t.equal(chooseLine('auto', 'v27.0.0'), 'current', 'a line newer than the newest known');
});

t.test('--node current keeps the running Node, whichever it is', async (t) => {
  t.equal(chooseLine('current', 'v20.20.2'), 'current');
  t.equal(chooseLine('current', 'v26.12.1'), 'current');
});

t.test('--node with a line or version measures there, unless it is the running one', async (t) => {
  t.equal(chooseLine('24', 'v20.20.2'), '24');
  t.equal(chooseLine('24', 'v24.22.3'), 'current', 'already on that line');
  t.equal(chooseLine('24.22.3', 'v24.22.3'), 'current', 'already that version');
  t.equal(chooseLine('24.11.0', 'v24.22.3'), '24.11.0', 'another version of the same line');
  t.equal(chooseLine('2', 'v24.22.3'), '2', 'line 2 is not a prefix match of 24');
  t.equal(chooseLine('20', 'v26.12.1'), '20', 'an end-of-life line asked for by name');
});

t.test('a --node that is neither a line, a version, auto nor current is a RangeError naming it', async (t) => {
  for (const bad of ['', 'latest', 'v24', '24.x', '24.1.2.3']) {
    t.throws(() => chooseLine(bad, 'v26.12.1'), { name: 'RangeError', message: /--node: ".*" is not a Node line/ }, JSON.stringify(bad));
  }
});
