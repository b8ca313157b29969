// xmlrpc_server.py (chapter 11.2.9.1): serves `double(num)` over XML-RPC, forever.
//
// On the `xmlrpc` package (Python's SimpleXMLRPCServer). Every request is logged the way Python's
// server logs it:  127.0.0.1 - - [15/Jul/2020 15:35:46] "POST / HTTP/1.1" 200 -
// Listens on localhost (127.0.0.1) only. Ctrl-C / SIGTERM closes the server.
//
//   node examples/xmlrpc_server.mjs [--port 6789]   (then xmlrpc_client.mjs; or: npm run example -- xmlrpc_server)
import { parseArgs } from 'node:util';
import xmlrpc from 'xmlrpc';

const { values } = parseArgs({ options: { port: { type: 'string', default: '6789' } } });
const port = Number(values.port);

function double(num) {
  return num * 2;
}

const server = xmlrpc.createServer({ host: '127.0.0.1', port }, () => {
  process.send?.('ready'); // tells examples/run.mjs that it may start the client
});
// register_function(double, "double"): the package emits one event per method name.
server.on('double', (error, params, callback) => callback(null, double(params[0])));
server.on('NotFound', (method) => console.error(`no such method: ${method}`));

server.httpServer.on('request', (req, res) => {
  res.on('finish', () => {
    console.log(`${req.socket.remoteAddress} - - [${logDate()}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${res.statusCode} -`);
  });
});

const stop = () => server.close(() => {});
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

/** Python's log_date_time_string(): 15/Jul/2020 15:35:46 */
function logDate() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][d.getMonth()];
  return `${p(d.getDate())}/${month}/${d.getFullYear()} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
