"""The gevent side of the DNS benchmark: spawn(gethostbyname) per name, then joinall.
Usage: python3 gevent_dns.py N RESOLVER [WARM]  (RESOLVER: thread or ares; set before gevent loads;
WARM: batches of other names resolved, unmeasured, before the measured one)."""
import json
import os
import resource
import sys
import time

n, resolver = int(sys.argv[1]), sys.argv[2]
warm = int(sys.argv[3]) if len(sys.argv) > 3 else 0
os.environ['GEVENT_RESOLVER'] = resolver
import gevent  # noqa: E402
import gevent.socket  # noqa: E402

# A failed lookup is counted below; the hub need not print each one's traceback.
gevent.get_hub().exception_stream = None
# A batch is waited for at most this long (s): a name not resolved by then counts as failed. The
# ares resolver once took 77 s over 5,000 names, and a round that long overran the bench's 5 minutes.
PATIENCE = 20



def udp_drops():
    # Datagrams dropped so far by the namespace's UDP sockets (last column of /proc/net/udp).
    drops = 0
    for path in ('/proc/net/udp', '/proc/net/udp6'):
        try:
            with open(path) as f:
                for line in f.readlines()[1:]:
                    cols = line.split()
                    if len(cols) > 12:
                        drops += int(cols[-1])
        except OSError:
            pass
    return drops


for b in range(1, warm + 1):
    gevent.joinall([gevent.spawn(gevent.socket.gethostbyname, 'h%d.bench.test' % (b * n + i)) for i in range(n)], timeout=PATIENCE)
names = ['h%d.bench.test' % i for i in range(n)]
drops_before = udp_drops()
cpu_start = time.process_time()
start = time.perf_counter()
jobs = [gevent.spawn(gevent.socket.gethostbyname, name) for name in names]
gevent.joinall(jobs, timeout=PATIENCE)
ms = (time.perf_counter() - start) * 1000
cpu_ms = (time.process_time() - cpu_start) * 1000
drops = udp_drops() - drops_before
resolved = sum(1 for j in jobs if j.successful())
print(json.dumps({'variant': 'gevent-' + resolver, 'n': n, 'ms': ms, 'resolved': resolved,
                  'failed': n - resolved, 'maxRssKb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, 'drops': drops, 'cpuMs': cpu_ms}), flush=True)
# Lookups given up on may still be waiting on the ares channel: nothing more to wait for.
os._exit(0)
