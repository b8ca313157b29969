// tcp_server.py (chapter 11.2.4): accepts one client, reads its message, answers, closes.
//
// On nodevent/net's green sockets (Python's bind / listen / accept / recv / sendall, awaited).
// The accepted socket belongs to this greenlet: if it were killed, the connection would close.
//
//   node examples/tcp_server.mjs [--port 6789]   (then tcp_client.mjs; or: npm run example -- tcp_server)
import { spawn } from 'nodevent';
import { AF_INET, SOCK_STREAM, socket } from 'nodevent/net';
import { now, portOption, pyAddress, pyBytes, signalReady } from './common.mjs';

const address = ['localhost', portOption()];
const maxSize = 1000;

async function main() {
  console.log('Starting the server at', now());
  console.log('Waiting for a client to call');
  const server = socket(AF_INET, SOCK_STREAM);
  await server.bind(address);
  await server.listen(5);
  signalReady(); // run.mjs may start the client
  const [client] = await server.accept();
  const data = await client.recv(maxSize);
  console.log(`At ${now()} ${pySocket(client)} said ${pyBytes(data)}`);
  await client.sendall(Buffer.from('Are you talking to me?'));
  client.close();
  server.close();
}

await spawn(main);

/** Like Python's repr of a socket: <socket ... laddr=(...), raddr=(...)> */
function pySocket(sock) {
  return `<socket family=AF_INET, type=SOCK_STREAM, laddr=${pyAddress(sock.getsockname())}, raddr=${pyAddress(sock.getpeername())}>`;
}
