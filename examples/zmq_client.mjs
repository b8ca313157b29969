// zmq_client.py (chapter 11.2.5): five requests on a REQ socket, each reply printed.
//
// On the `zeromq` package (v6). Each request/reply runs under `withTimeout`: if the server is not
// there, the client gives up after 5 s instead of waiting forever (the Timeout kills the greenlet,
// which closes the socket it owns). The chapter forgot the f of an f-string ("message {num}");
// the printed lines it shows are the intended ones, reproduced here.
//
//   node examples/zmq_client.mjs [--port 6789]   (start zmq_server.mjs first; or: npm run example -- zmq_client)
import zmq from 'zeromq';
import { currentScope, spawn, withTimeout } from 'nodevent';
import { portOption } from './common.mjs';

const host = '127.0.0.1';
const port = portOption();

async function client() {
  const sock = new zmq.Request();
  currentScope().own({ dispose: () => sock.close() });
  sock.connect(`tcp://${host}:${port}`);
  for (let num = 1; num < 6; num++) {
    const requestStr = `message ${num}`;
    const replyStr = await withTimeout(5, async () => {
      await sock.send(Buffer.from(requestStr, 'utf8'));
      const [reply] = await sock.receive();
      return reply.toString('utf8');
    });
    console.log(`Sent ${requestStr}, received ${replyStr}`);
  }
  sock.close();
}

await spawn(client);
