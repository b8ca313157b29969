// What the unreachable-Redis and BullMQ tests share: a port nothing listens on, and a count of
// the handles a failed or closed client could leave behind.
import net from 'node:net';
import { sleep } from '../../src/runtime/index.js';

/** A loopback port on which nothing listens: a server was there a moment ago. */
export async function refusingPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const LEAKABLE = new Set(['TCPSocketWrap', 'TCPConnectWrap', 'Timeout', 'Immediate']);

/** The active sockets, connects and timers, sorted: what a client could leave behind. */
export function leakable(): string[] {
  return process.getActiveResourcesInfo().filter((r) => LEAKABLE.has(r)).sort();
}

/** Waits (up to 5 s) for `leakable()` to be back to `baseline`, and returns it. */
export async function settledTo(baseline: string[]): Promise<string[]> {
  const deadline = Date.now() + 5000;
  while (JSON.stringify(leakable()) !== JSON.stringify(baseline) && Date.now() < deadline) await sleep(0.02);
  return leakable();
}
