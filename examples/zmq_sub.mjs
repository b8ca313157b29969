// zmq_sub.py (chapter 11.2.2.2): receives the messages of two topics, forever.
//
// On the `zeromq` package (v6). The receive loop runs in a greenlet that owns the socket: killing
// the greenlet (Ctrl-C below, or `withTimeout` around it) closes the socket and ends the loop.
//
//   node examples/zmq_sub.mjs [--port 6789]      (then run zmq_pub.mjs; or: npm run example -- zmq_sub)
import zmq from 'zeromq';
import { currentScope, spawn } from 'nodevent';
import { portOption, signalReady, serveUntilSignalled } from './common.mjs';

const host = '127.0.0.1';
const port = portOption();

async function subscriber() {
  const sub = new zmq.Subscriber();
  currentScope().own({ dispose: () => sub.close() });
  sub.connect(`tcp://${host}:${port}`);
  const topics = ['maine coon', 'persian'];
  for (const topic of topics) {
    sub.subscribe(topic);
  }
  signalReady(); // run.mjs may start the publisher
  for await (const [catBytes, hatBytes] of sub) {
    const cat = catBytes.toString('utf8');
    const hat = hatBytes.toString('utf8');
    console.log(`Subscribe: ${cat} wears a ${hat}`);
  }
}

const g = spawn(subscriber);
await serveUntilSignalled(g);
