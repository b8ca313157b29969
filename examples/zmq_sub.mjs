// zmq_sub.py (chapter 11.2.2.2): receives the messages of two topics, forever.
//
// On the `zeromq` package (v6). The receive loop runs in a greenlet that owns the socket: killing
// the greenlet (Ctrl-C below, or `withTimeout` around it) closes the socket and ends the loop.
//
//   node examples/zmq_sub.mjs [--port 6789]      (then run zmq_pub.mjs; or: npm run example -- zmq_sub)
import { parseArgs } from 'node:util';
import zmq from 'zeromq';
import { currentScope, spawn } from 'nodevent';

const { values } = parseArgs({ options: { port: { type: 'string', default: '6789' } } });
const host = '127.0.0.1';
const port = Number(values.port);

async function subscriber() {
  const sub = new zmq.Subscriber();
  currentScope().own({ dispose: () => sub.close() });
  sub.connect(`tcp://${host}:${port}`);
  const topics = ['maine coon', 'persian'];
  for (const topic of topics) {
    sub.subscribe(topic);
  }
  process.send?.('ready'); // tells examples/run.mjs that it may start the publisher
  for await (const [catBytes, hatBytes] of sub) {
    const cat = catBytes.toString('utf8');
    const hat = hatBytes.toString('utf8');
    console.log(`Subscribe: ${cat} wears a ${hat}`);
  }
}

const g = spawn(subscriber);
process.once('SIGINT', () => g.kill());
process.once('SIGTERM', () => g.kill());
await g;
