// The chapter's DNS session (11.2.7.1): the socket module's DNS functions, from nodevent/net.
//
// The chapter asks about www.crappytaxidermy.com on the internet. This example asks about
// `localhost` instead — answered from the hosts file, so nothing leaves the machine (every
// example talks only to 127.0.0.0/8 / ::1) — and a loopback address. Python's tuples are arrays
// here and the keyword arguments (family, type) an options object. Each call is async: it only
// waits for the greenlet that makes it.
//
//   node examples/dns_functions.mjs
import { inspect } from 'node:util';
import {
  AF_INET, SOCK_STREAM, getaddrinfo, gethostbyname, gethostbyname_ex, getservbyname, getservbyport,
} from 'nodevent/net';

// Prints the call, then its value, like the chapter's `In [..]:` / output pairs.
function show(call, value) {
  console.log(`>>> ${call}`);
  console.log(inspect(value, { breakLength: Infinity, depth: null }));
}

show("gethostbyname('localhost')", await gethostbyname('localhost'));
show("gethostbyname_ex('localhost')", await gethostbyname_ex('localhost'));
show("getaddrinfo('localhost', 80)", await getaddrinfo('localhost', 80));
show("getaddrinfo('localhost', 80, { family: AF_INET, type: SOCK_STREAM })",
  await getaddrinfo('localhost', 80, { family: AF_INET, type: SOCK_STREAM }));
show("getservbyname('http')", await getservbyname('http'));
show('getservbyport(80)', await getservbyport(80));
