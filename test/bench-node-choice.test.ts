// Which Node line `npm run bench` measures on: an end-of-life Node (20) measures on the newest
// line, a supported one on itself, and `--node` names a line or keeps the running one.
import t, { type Test } from 'tap';

type ChooseLine = (requested: string, version: string) => string;
const { chooseLine, NEWEST_LINE } = (await import(new URL('../bench/node-choice.mjs', import.meta.url).href)) as { chooseLine: ChooseLine; NEWEST_LINE: string };

/** [--node, the running Node, the line measured on] */
type Case = [string, string, string];

function check(t: Test, cases: Case[]): void {
  for (const [requested, version, expected] of cases) {
    t.equal(chooseLine(requested, version), expected, `--node ${requested || '""'} on ${version}`);
  }
}

t.test('by default an end-of-life Node measures on the newest line, a supported one on itself', async (t) => {
  t.equal(NEWEST_LINE, '26');
  check(t, [
    ['auto', 'v20.20.2', '26'],
    ['auto', 'v18.19.0', '26'],
    ['auto', 'v22.23.5', 'current'],
    ['auto', 'v24.22.3', 'current'],
    ['auto', 'v26.12.1', 'current'],
    ['auto', 'v27.0.0', 'current'],
  ]);
});

t.test('--node current keeps the running Node; a line or version measures there unless running', async (t) => {
  check(t, [
    ['current', 'v20.20.2', 'current'],
    ['current', 'v26.12.1', 'current'],
    ['24', 'v20.20.2', '24'],
    ['24', 'v24.22.3', 'current'],
    ['24.22.3', 'v24.22.3', 'current'],
    ['24.11.0', 'v24.22.3', '24.11.0'],
    ['2', 'v24.22.3', '2'],
    ['20', 'v26.12.1', '20'],
  ]);
});

t.test('a --node that is neither a line, a version, auto nor current is a RangeError naming it', async (t) => {
  for (const bad of ['', 'latest', 'v24', '24.x', '24.1.2.3']) {
    t.throws(() => chooseLine(bad, 'v26.12.1'), { name: 'RangeError', message: /--node: ".*" is not a Node line/ }, JSON.stringify(bad));
  }
});
