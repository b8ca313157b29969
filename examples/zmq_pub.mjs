// zmq_pub.py (chapter 11.2.2.2): publishes ten random "cat wears a hat" messages.
//
// On the `zeromq` package (v6). The chapter binds "*"; this example binds 127.0.0.1 only.
// The socket belongs to the greenlet that runs the publisher: killing it closes the socket.
//
//   node examples/zmq_pub.mjs [--port 6789]      (start zmq_sub.mjs first, or: npm run example -- zmq_pub)
import zmq from 'zeromq';
import { currentScope, sleep, spawn } from 'nodevent';
import { portOption } from './common.mjs';

const host = '127.0.0.1';
const port = portOption();

const choice = (list) => list[Math.floor(Math.random() * list.length)];

async function publisher() {
  const pub = new zmq.Publisher();
  currentScope().own({ dispose: () => pub.close() });
  await pub.bind(`tcp://${host}:${port}`);
  const cats = ['siamese', 'persian', 'maine coon', 'norwegian forest'];
  const hats = ['stovepipe', 'bowler', 'tam-o-shanter', 'fedora'];
  await sleep(1); // ZeroMQ's "slow joiner": give subscribers time to connect, as the chapter does
  for (let msg = 0; msg < 10; msg++) {
    const cat = choice(cats);
    const hat = choice(hats);
    console.log(`Publish: ${cat} wears a ${hat}`);
    await pub.send([Buffer.from(cat, 'utf8'), Buffer.from(hat, 'utf8')]);
  }
  pub.close();
}

await spawn(publisher);
