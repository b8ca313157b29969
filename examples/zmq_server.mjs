// zmq_server.py (chapter 11.2.5): a REP socket that answers every request, forever.
//
// On the `zeromq` package (v6). The serving loop is a greenlet owning the socket; SIGINT/SIGTERM
// kill it, which closes the socket.
//
//   node examples/zmq_server.mjs [--port 6789]   (then zmq_client.mjs; or: npm run example -- zmq_server)
import { parseArgs } from 'node:util';
import zmq from 'zeromq';
import { currentScope, spawn } from 'nodevent';

const { values } = parseArgs({ options: { port: { type: 'string', default: '6789' } } });
const host = '127.0.0.1';
const port = Number(values.port);

async function serve() {
  const server = new zmq.Reply();
  currentScope().own({ dispose: () => server.close() });
  await server.bind(`tcp://${host}:${port}`);
  process.send?.('ready'); // tells examples/run.mjs that it may start the client
  while (true) {
    const [request] = await server.receive();
    const requestStr = request.toString('utf8');
    console.log(`That voice in my head says: ${requestStr}`);
    const replyBytes = Buffer.from(`Stop saying: ${requestStr}`, 'utf8');
    await server.send(replyBytes);
  }
}

const g = spawn(serve);
process.once('SIGINT', () => g.kill());
process.once('SIGTERM', () => g.kill());
await g;
