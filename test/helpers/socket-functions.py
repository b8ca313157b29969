# Reads a JSON list of calls of Python's socket resolution functions (glibc underneath) on stdin,
# prints their results or errors as JSON: the reference the socket module's resolver is held to.
import json
import socket
import sys


def plain(value):
    if isinstance(value, (tuple, list)):
        return [plain(v) for v in value]
    if isinstance(value, (socket.AddressFamily, socket.SocketKind)):
        return int(value)
    return value


def call(case):
    fn, host = case['fn'], case['host']
    if fn == 'gethostbyname':
        return socket.gethostbyname(host)
    if fn == 'gethostbyname_ex':
        return socket.gethostbyname_ex(host)
    if fn == 'gethostbyaddr':
        return socket.gethostbyaddr(host)
    if fn == 'getnameinfo':
        sockaddr = (host, case['port']) if 'scope' not in case else (host, case['port'], 0, case['scope'])
        return socket.getnameinfo(sockaddr, case['flags'])
    if fn == 'getfqdn':
        return socket.getfqdn(host)
    return socket.getaddrinfo(host, case['port'], case['family'], case['type'], 0, case['flags'])


out = []
for case in json.load(sys.stdin):
    try:
        out.append({'ok': plain(call(case))})
    except OSError as error:
        out.append({'error': [type(error).__name__, error.errno]})
print(json.dumps(out))
