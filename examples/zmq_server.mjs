// zmq_server.py (chapter 11.2.5): a REP socket that answers every request, forever.
//
// On the `zeromq` package (v6). The serving loop is a greenlet owning the socket; SIGINT/SIGTERM
// kill it, which closes the socket.
//
//   node examples/zmq_server.mjs [--port 6789]   (then zmq_client.mjs; or: npm run example -- zmq_server)
import zmq from 'zeromq';
import { currentScope, spawn } from 'nodevent';
import { portOption, signalReady, serveUntilSignalled } from './common.mjs';

const host = '127.0.0.1';
const port = portOption();

async function serve() {
  const server = new zmq.Reply();
  currentScope().own({ dispose: () => server.close() });
  await server.bind(`tcp://${host}:${port}`);
  signalReady(); // run.mjs may start the client
  while (true) {
    const [request] = await server.receive();
    const requestStr = request.toString('utf8');
    console.log(`That voice in my head says: ${requestStr}`);
    const replyBytes = Buffer.from(`Stop saying: ${requestStr}`, 'utf8');
    await server.send(replyBytes);
  }
}

const g = spawn(serve);
await serveUntilSignalled(g);
