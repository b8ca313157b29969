// udp_server.py (chapter 11.2.4): waits for one datagram, answers it, closes.
//
// On nodevent/net's green sockets: Python's socket calls, each `await`ed; a call that waits only
// pauses its greenlet. Addresses and bytes are printed the Python way, as in the chapter.
//
//   node examples/udp_server.mjs [--port 6789]   (then udp_client.mjs; or: npm run example -- udp_server)
import { spawn } from 'nodevent';
import { AF_INET, SOCK_DGRAM, socket } from 'nodevent/net';
import { now, portOption, pyAddress, pyBytes, signalReady } from './common.mjs';

const serverAddress = ['localhost', portOption()];
const maxSize = 4096;

async function main() {
  console.log('Starting the server at', now());
  console.log('Waiting for a client to call');
  const server = socket(AF_INET, SOCK_DGRAM);
  await server.bind(serverAddress);
  signalReady(); // run.mjs may start the client
  const [data, client] = await server.recvfrom(maxSize);
  console.log(`At ${now()} ${pyAddress(client)} said ${pyBytes(data)}`);
  await server.sendto(Buffer.from('Are you talking to me?'), client);
  server.close();
}

await spawn(main);
