// udp_client.py (chapter 11.2.4): sends one datagram, prints the answer.
//
// On nodevent/net's green sockets. The wait for the answer is bounded with settimeout (Python's
// socket.settimeout): if no server answers, recvfrom rejects with socket.timeout after 5 s
// instead of waiting forever — a lost datagram is normal for UDP.
//
//   node examples/udp_client.mjs [--port 6789]   (start udp_server.mjs first; or: npm run example -- udp_client)
import { parseArgs } from 'node:util';
import { spawn } from 'nodevent';
import { AF_INET, SOCK_DGRAM, socket } from 'nodevent/net';

const { values } = parseArgs({ options: { port: { type: 'string', default: '6789' } } });
const serverAddress = ['localhost', Number(values.port)];
const maxSize = 4096;

async function main() {
  console.log('Starting the client at', now());
  const client = socket(AF_INET, SOCK_DGRAM);
  client.settimeout(5);
  await client.sendto(Buffer.from('Hey!'), serverAddress);
  const [data, server] = await client.recvfrom(maxSize);
  console.log(`At ${now()} ${pyAddress(server)} said ${pyBytes(data)}`);
  client.close();
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
