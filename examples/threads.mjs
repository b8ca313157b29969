// threads.py (chapter 11.1.3): each worker prints who it is.
//
// Python's threads become greenlets. `getCurrent()` is gevent's `getcurrent()` (Python's
// `threading.current_thread()`): the running Greenlet, or null in the main program, outside any
// greenlet. A greenlet prints as <Greenlet "Greenlet-1">; set `g.name` to name it yourself.
//
//   node examples/threads.mjs
import { getCurrent, joinAll, spawn } from 'nodevent';

function doThis(what) {
  whoami(what);
}

function whoami(what) {
  const current = getCurrent() ?? '<MainThread>';
  console.log(`Thread ${current} says: ${what}`);
}

whoami("I'm the main program");
const workers = [];
for (let n = 0; n < 4; n++) {
  workers.push(spawn(doThis, `I'm function ${n}`));
}
await joinAll(workers);
