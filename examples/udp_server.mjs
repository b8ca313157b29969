// udp_server.py (chapter 11.2.4): waits for one datagram, answers it, closes.
//
// On nodevent/net's green sockets: Python's socket calls, each `await`ed; a call that waits only
// pauses its greenlet. Addresses and bytes are printed the Python way, as in the chapter.
//
//   node examples/udp_server.mjs [--port 6789]   (then udp_client.mjs; or: npm run example -- udp_server)
import { parseArgs } from 'node:util';
import { spawn } from 'nodevent';
import { AF_INET, SOCK_DGRAM, socket } from 'nodevent/net';

const { values } = parseArgs({ options: { port: { type: 'string', default: '6789' } } });
const serverAddress = ['localhost', Number(values.port)];
const maxSize = 4096;

async function main() {
  console.log('Starting the server at', now());
  console.log('Waiting for a client to call');
  const server = socket(AF_INET, SOCK_DGRAM);
  await server.bind(serverAddress);
  process.send?.('ready'); // tells examples/run.mjs that it may start the client
  const [data, client] = await server.recvfrom(maxSize);
  console.log(`At ${now()} ${pyAddress(client)} said ${pyBytes(data)}`);
  await server.sendto(Buffer.from('Are you talking to me?'), client);
  server.close();
}

await spawn(main);

/** Python's str(datetime.now()): 2020-07-14 00:12:59.557508 */
function now() {
  const d = new Date();
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}
/** Python's repr of an address tuple: ('127.0.0.1', 6789) */
function pyAddress([host, port]) {
  return `('${host}', ${port})`;
}
/** Python's repr of bytes: b'Hey!' */
function pyBytes(buf) {
  const chars = [...buf].map((c) => (c >= 32 && c < 127 && c !== 39 && c !== 92 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`));
  return `b'${chars.join('')}'`;
}
