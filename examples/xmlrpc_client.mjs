// xmlrpc_client.py (chapter 11.2.9.1): calls double(7) on the server → "Double 7 is 14".
//
// On the `xmlrpc` package, which knows nothing of nodevent. After patchAll(), the http request it
// makes inside a greenlet belongs to that greenlet: the withTimeout below can cancel the call —
// the request is destroyed — if the server does not answer in 5 s (try it with no server:
// the socket is refused at once; or with a server that never answers: Timeout after 5 s).
//
//   node examples/xmlrpc_client.mjs [--port 6789]   (start xmlrpc_server.mjs first; or: npm run example -- xmlrpc_client)
import { parseArgs } from 'node:util';
import xmlrpc from 'xmlrpc';
import { Timeout, spawn, withTimeout } from 'nodevent';
import { patchAll } from 'nodevent/patch';

patchAll();

const { values } = parseArgs({ options: { port: { type: 'string', default: '6789' } } });
const proxy = xmlrpc.createClient({ host: '127.0.0.1', port: Number(values.port), path: '/' });

// ServerProxy's proxy.double(num), as a promise.
const call = (method, ...params) => new Promise((resolve, reject) => {
  proxy.methodCall(method, params, (error, value) => (error ? reject(error) : resolve(value)));
});

const num = 7;
try {
  const result = await spawn(() => withTimeout(5, () => call('double', num)));
  console.log(`Double ${num} is ${result}`);
} catch (error) {
  if (!(error instanceof Timeout)) throw error;
  console.error('No answer from the server in 5 s: the call was cancelled (its request destroyed).');
  process.exitCode = 1;
}
