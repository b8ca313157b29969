// tcp_client.py (chapter 11.2.4): connects, sends a message, prints the answer.
//
// On nodevent/net's green sockets. settimeout(5) bounds connect and recv (socket.timeout after
// 5 s rather than waiting forever).
//
//   node examples/tcp_client.mjs [--port 6789]   (start tcp_server.mjs first; or: npm run example -- tcp_client)
import { parseArgs } from 'node:util';
import { spawn } from 'nodevent';
import { AF_INET, SOCK_STREAM, socket } from 'nodevent/net';

const { values } = parseArgs({ options: { port: { type: 'string', default: '6789' } } });
const address = ['localhost', Number(values.port)];
const maxSize = 1000;

async function main() {
  console.log('Starting the client at', now());
  const client = socket(AF_INET, SOCK_STREAM);
  client.settimeout(5);
  await client.connect(address);
  await client.sendall(Buffer.from('Hey!'));
  const data = await client.recv(maxSize);
  console.log(`At ${now()} someone replied ${pyBytes(data)}`);
  client.close();
}

await spawn(main);

/** Python's str(datetime.now()): 2020-07-14 11:35:50.340154 */
function now() {
  const d = new Date();
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}000`;
}
/** Python's repr of bytes: b'Hey!' */
function pyBytes(buf) {
  const chars = [...buf].map((c) => (c >= 32 && c < 127 && c !== 39 && c !== 92 ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`));
  return `b'${chars.join('')}'`;
}
