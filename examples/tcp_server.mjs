// tcp_server.py (chapter 11.2.4): accepts one client, reads its message, answers, closes.
//
// On nodevent/net's green sockets (Python's bind / listen / accept / recv / sendall, awaited).
// The accepted socket belongs to this greenlet: if it were killed, the connection would close.
//
//   node examples/tcp_server.mjs [--port 6789]   (then tcp_client.mjs; or: npm run example -- tcp_server)
import { parseArgs } from 'node:util';
import { spawn } from 'nodevent';
import { AF_INET, SOCK_STREAM, socket } from 'nodevent/net';

const { values } = parseArgs({ options: { port: { type: 'string', default: '6789' } } });
const address = ['localhost', Number(values.port)];
const maxSize = 1000;

async function main() {
  console.log('Starting the server at', now());
  console.log('Waiting for a client to call');
  const server = socket(AF_INET, SOCK_STREAM);
  await server.bind(address);
  await server.listen(5);
  process.send?.('ready'); // tells examples/run.mjs that it may start the client
  const [client] = await server.accept();
  const data = await client.recv(maxSize);
  console.log(`At ${now()} ${pySocket(client)} said ${pyBytes(data)}`);
  await client.sendall(Buffer.from('Are you talking to me?'));
  client.close();
  server.close();
}

await spawn(main);

/** Python's str(datetime.now()): 2020-07-14 11:35:46.995028 */
function now() {
  const d = new Date();
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}
/** Python's repr of an address tuple: ('127.0.0.1', 6789) */
function pyAddress([host, port]) {
  return `('${host}', ${port})`;
}
/** Like Python's repr of a socket: <socket ... laddr=(...), raddr=(...)> */
function pySocket(sock) {
  return `<socket family=AF_INET, type=SOCK_STREAM, laddr=${pyAddress(sock.getsockname())}, raddr=${pyAddress(sock.getpeername())}>`;
}
/** Python's repr of bytes: b'Hey!' */
function pyBytes(buf) {
  const chars = [...buf].map((c) => (c >= 32 && c < 127 && c !== 39 && c !== 92 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`));
  return `b'${chars.join('')}'`;
}
