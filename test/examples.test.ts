// Smoke test of examples/ (the Redis ones are in examples-redis.test.ts): every program of the
// chapter runs (as a child process, through examples/run.mjs as a user would run it, both sides of
// a pair from one command) and prints the chapter's lines. Timestamps, process ids, ports and
// addresses are normalised on both sides; the order is checked wherever the chapter's order is
// deterministic. Long sleeps run with --scale. Each run is killed with its whole process group at
// the latest when this test ends (test/helpers/examples.ts).
import t from 'tap';
import { checkPubSub, exampleRunner, failed, norm, notBuilt, side, TOPICS, type Run } from './helpers/examples.js';

// ---- The chapter's printed lines (copied from the seed; typos of the chapter's prose noted) ----
const SEED = {
  dishes: [
    'Washing salad dish', 'Washing bread dish', 'Washing entree dish', 'Washing dessert dish',
    'Drying salad dish', 'Drying bread dish', 'Drying entree dish', 'Drying dessert dish',
  ],
  threads: [
    "Thread <_MainThread(MainThread, started 11596)> says: I'm the main program",
    "Thread <Thread(Thread-1, started 13532)> says: I'm function 0",
    "Thread <Thread(Thread-2, started 15188)> says: I'm function 1",
    "Thread <Thread(Thread-3, started 16596)> says: I'm function 2",
    "Thread <Thread(Thread-4, started 17356)> says: I'm function 3",
  ],
  threadDishes: [
    'Washing salad', 'Washing bread', 'Dring salad', 'Washing entree',
    'Dring bread', 'Washing desert', 'Dring entree', 'Dring desert',
  ],
  geventDns: ['66.6.44.4', '104.27.172.75', 'None'],
  gethostbyname: ["'66.6.44.4'"],
  monkey: ['66.6.44.4', '104.27.172.75', '172.217.161.228'],
  zmqPub: [
    'Publish: persian wears a bowler', 'Publish: maine coon wears a tam-o-shanter', 'Publish: persian wears a stovepipe',
    'Publish: maine coon wears a stovepipe', 'Publish: norwegian forest wears a bowler',
    'Publish: norwegian forest wears a stovepipe', 'Publish: maine coon wears a fedora',
    'Publish: persian wears a tam-o-shanter', 'Publish: persian wears a fedora', 'Publish: siamese wears a fedora',
  ],
  zmqSub: [
    'Subscribe: persian wears a bowler', 'Subscribe: maine coon wears a tam-o-shanter', 'Subscribe: persian wears a stovepipe',
    'Subscribe: maine coon wears a stovepipe', 'Subscribe: maine coon wears a fedora',
    'Subscribe: persian wears a tam-o-shanter', 'Subscribe: persian wears a fedora',
  ],
  zmqServer: [1, 2, 3, 4, 5].map((n) => `That voice in my head says: message ${n}`),
  // The chapter prints "Send message 1, ..." but its code prints "Sent ..."; the code wins.
  zmqClient: [1, 2, 3, 4, 5].map((n) => `Sent message ${n}, received Stop saying: message ${n}`),
  udpServer: [
    'Starting the server at 2020-07-14 00:12:59.557508', 'Waiting for a client to call',
    "At 2020-07-14 00:13:22.667723 ('127.0.0.1', 53717) said b'Hey!'",
  ],
  udpClient: [
    'Starting the client at 2020-07-14 00:13:22.652083',
    "At 2020-07-14 00:13:22.667723 ('127.0.0.1', 6789) said b'Are you talking to me?'",
  ],
  tcpServer: [
    'Starting the server at 2020-07-14 11:35:46.995028', 'Waiting for a client to call',
    "At 2020-07-14 11:35:50.350046 <socket.socket fd=568, family=AddressFamily.AF_INET, type=SocketKind.SOCK_STREAM, proto=0, laddr=('127.0.0.1', 6789), raddr=('127.0.0.1', 50758)> said b'Hey!'",
  ],
  tcpClient: [
    'Starting the client at 2020-07-14 11:35:50.340154',
    "At 2020-07-14 11:35:50.350046 someone replied b'Are you talking to me?'",
  ],
  xmlrpcServer: ['127.0.0.1 - - [15/Jul/2020 15:35:46] "POST / HTTP/1.1" 200 -'],
  xmlrpcClient: ['Double 7 is 14'],
};

t.test('examples', { skip: notBuilt }, async (t) => {
  const { example, direct, runNode } = exampleRunner(t);
  // Start every run now (two at a time); the subtests below check them as they finish.
  const runs = {
    dishes: example('dishes'),
    dishesProcesses: example('dishes_processes'),
    threads: example('threads'),
    threadDishes: example('thread_dishes', ['--scale', '0.1']),
    geventDns: example('gevent_dns', ['--scale', '0.2']),
    gethostbyname: example('gethostbyname'),
    monkey: example('monkey'),
    monkeyRegister: direct('monkey.mjs', [], ['--import', 'nodevent/register']),
    dnsFunctions: example('dns_functions'),
    zmqPubSub: example('zmq_pub'),
    zmqReqRep: example('zmq_client'),
    udp: example('udp_server'),
    tcp: example('tcp_client'),
    xmlrpc: example('xmlrpc_client'),
  } as Record<string, Promise<Run>>;

  t.test('dishes: greenlet dryer, every dish washed then dried', async (t) => {
    const run = await runs.dishes!;
    t.equal(run.code, 0, failed(run));
    t.same(run.stdout, SEED.dishes);
  });

  t.test('dishes_processes: the dryer in a ProcessPool child', async (t) => {
    const run = await runs.dishesProcesses!;
    t.equal(run.code, 0, failed(run));
    t.same(run.stdout, SEED.dishes);
  });

  t.test('threads: each greenlet says who it is', async (t) => {
    const run = await runs.threads!;
    t.equal(run.code, 0, failed(run));
    const who = (l: string) => l
      .replace(/<_MainThread\([^)]*\)>|<MainThread>/, '<main>')
      .replace(/<Thread\([^)]*\)>|<Greenlet "[^"]+">/, '<worker>');
    t.same(run.stdout.map(who), SEED.threads.map(who));
    t.equal(new Set(run.stdout.slice(1).map((l) => /<Greenlet "([^"]+)">/.exec(l)?.[1])).size, 4, 'four distinct greenlet names');
  });

  t.test('thread_dishes: the chapter\'s order of lines (sleeps scaled by 0.1)', async (t) => {
    const run = await runs.threadDishes!;
    t.equal(run.code, 0, failed(run));
    t.same(run.stdout, SEED.threadDishes);
  });

  t.test('gevent_dns: two addresses, then None for the name that never answers', async (t) => {
    const run = await runs.geventDns!;
    t.equal(run.code, 0, failed(run));
    const py = (l: string) => norm(l === 'null' ? 'None' : l);
    t.same(run.stdout.map(py), SEED.geventDns.map(py));
    t.match(run.stdout[0], /^127\./, 'a loopback address from the embedded DNS server');
  });

  t.test('gethostbyname alone', async (t) => {
    const run = await runs.gethostbyname!;
    t.equal(run.code, 0, failed(run));
    t.same(run.stdout.map(norm), SEED.gethostbyname.map(norm));
  });

  for (const [name, key] of [['monkey: patchAll()', 'monkey'], ['monkey: node --import nodevent/register', 'monkeyRegister']] as const) {
    t.test(`${name}: plain dns.lookup in greenlets, plain net cancelled`, async (t) => {
      const run = await runs[key]!;
      t.equal(run.code, 0, failed(run));
      t.same(run.stdout.slice(0, 3).map(norm), SEED.monkey.map(norm));
      t.same(run.stdout.slice(3), ['read cancelled by Timeout; socket destroyed: true', 'the server saw the connection close']);
    });
  }

  t.test('dns_functions: the DNS session on localhost', async (t) => {
    const run = await runs.dnsFunctions!;
    t.equal(run.code, 0, failed(run));
    const answers = new Map<string, string>();
    for (let i = 0; i < run.stdout.length; i += 2) answers.set(run.stdout[i]!.replace(/^>>> /, ''), run.stdout[i + 1]!);
    t.equal(answers.get("gethostbyname('localhost')"), "'127.0.0.1'");
    t.match(answers.get("gethostbyname_ex('localhost')"), /^\[ 'localhost', \[.*\], \[ .*'127\.0\.0\.1'.* \] \]$/);
    t.match(answers.get("getaddrinfo('localhost', 80)"), /\[ 2, 1, 6, '', \[ '127\.0\.0\.1', 80 \] \]/);
    t.equal(answers.get("getaddrinfo('localhost', 80, { family: AF_INET, type: SOCK_STREAM })"), "[ [ 2, 1, 6, '', [ '127.0.0.1', 80 ] ] ]");
    t.equal(answers.get("getservbyname('http')"), '80');
    t.equal(answers.get('getservbyport(80)'), "'http'");
  });

  t.test('zmq_pub / zmq_sub', async (t) => {
    t.same(SEED.zmqSub, SEED.zmqPub.filter((l) => TOPICS.some((c) => l.includes(`: ${c} wears`))).map((l) => l.replace('Publish', 'Subscribe')), 'the chapter\'s own run has that shape');
    const run = await runs.zmqPubSub!;
    t.equal(run.code, 0, failed(run));
    checkPubSub(t, side(run, 'zmq_pub'), side(run, 'zmq_sub'));
  });

  t.test('zmq_server / zmq_client (REQ/REP)', async (t) => {
    const run = await runs.zmqReqRep!;
    t.equal(run.code, 0, failed(run));
    t.same(side(run, 'zmq_server'), SEED.zmqServer);
    t.same(side(run, 'zmq_client'), SEED.zmqClient);
  });

  t.test('udp_server / udp_client', async (t) => {
    const run = await runs.udp!;
    t.equal(run.code, 0, failed(run));
    t.same(side(run, 'udp_server').map(norm), SEED.udpServer.map(norm));
    t.same(side(run, 'udp_client').map(norm), SEED.udpClient.map(norm));
  });

  t.test('tcp_server / tcp_client', async (t) => {
    const run = await runs.tcp!;
    t.equal(run.code, 0, failed(run));
    t.same(side(run, 'tcp_server').map(norm), SEED.tcpServer.map(norm));
    t.same(side(run, 'tcp_client').map(norm), SEED.tcpClient.map(norm));
  });

  t.test('xmlrpc_server / xmlrpc_client: double(7)', async (t) => {
    const run = await runs.xmlrpc!;
    t.equal(run.code, 0, failed(run));
    t.same(side(run, 'xmlrpc_server').map(norm), SEED.xmlrpcServer.map(norm));
    t.same(side(run, 'xmlrpc_client'), SEED.xmlrpcClient);
  });

  t.test('run.mjs: --list names every example; an unknown name fails', async (t) => {
    const list = await runNode('run.mjs', ['--list']);
    t.equal(list.code, 0);
    for (const name of ['dishes', 'threads', 'thread_dishes', 'gevent_dns', 'monkey', 'dns_functions', 'redis_dryer2', 'zmq_server', 'xmlrpc_client']) {
      t.ok(list.stdout.some((l) => l.trim().startsWith(name)), `lists ${name}`);
    }
    const unknown = await runNode('run.mjs', ['nope']);
    t.equal(unknown.code, 1);
    t.match(unknown.stderr, /No example named "nope"/);
    const ignored = await runNode('run.mjs', ['dishes', '--scale', '0.1']);
    t.equal(ignored.code, 2, 'an option the example does not take is refused, not dropped');
    t.match(ignored.stderr, /dishes takes no --scale/);
  });

  await Promise.all(Object.values(runs));
});
