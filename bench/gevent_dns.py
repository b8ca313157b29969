"""The gevent side of the DNS benchmark: spawn(gethostbyname) per name, then joinall.
Usage: python3 gevent_dns.py N RESOLVER  (RESOLVER: thread or ares; set before gevent loads)."""
import json
import os
import resource
import sys
import time

n, resolver = int(sys.argv[1]), sys.argv[2]
os.environ['GEVENT_RESOLVER'] = resolver
import gevent  # noqa: E402
import gevent.socket  # noqa: E402

names = ['h%d.bench.test' % i for i in range(n)]
start = time.perf_counter()
jobs = [gevent.spawn(gevent.socket.gethostbyname, name) for name in names]
gevent.joinall(jobs, timeout=120)
ms = (time.perf_counter() - start) * 1000
resolved = sum(1 for j in jobs if j.successful())
print(json.dumps({'variant': 'gevent-' + resolver, 'n': n, 'ms': ms, 'resolved': resolved,
                  'failed': n - resolved, 'maxRssKb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
