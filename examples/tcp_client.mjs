// tcp_client.py (chapter 11.2.4): connects, sends a message, prints the answer.
//
// On nodevent/net's green sockets. settimeout(5) bounds connect and recv (socket.timeout after
// 5 s rather than waiting forever).
//
//   node examples/tcp_client.mjs [--port 6789]   (start tcp_server.mjs first; or: npm run example -- tcp_client)
import { spawn } from 'nodevent';
import { AF_INET, SOCK_STREAM, socket } from 'nodevent/net';
import { now, portOption, pyBytes } from './common.mjs';

const address = ['localhost', portOption()];
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
