// udp_client.py (chapter 11.2.4): sends one datagram, prints the answer.
//
// On nodevent/net's green sockets. The wait for the answer is bounded with settimeout (Python's
// socket.settimeout): if no server answers, recvfrom rejects with socket.timeout after 5 s
// instead of waiting forever — a lost datagram is normal for UDP.
//
//   node examples/udp_client.mjs [--port 6789]   (start udp_server.mjs first; or: npm run example -- udp_client)
import { spawn } from 'nodevent';
import { AF_INET, SOCK_DGRAM, socket } from 'nodevent/net';
import { now, portOption, pyAddress, pyBytes } from './common.mjs';

const serverAddress = ['localhost', portOption()];
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
