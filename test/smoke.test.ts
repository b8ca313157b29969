import t from 'tap';
import { spawn } from '../src/index.js';
t.test('spawn', async (t) => {
  t.equal(await spawn(() => 42), 42);
});
