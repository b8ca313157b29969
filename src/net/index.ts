export {
  AF_INET, AF_INET6, AF_UNSPEC, AI_ADDRCONFIG, AI_ALL, AI_CANONNAME, AI_NUMERICHOST, AI_NUMERICSERV, AI_PASSIVE,
  AI_V4MAPPED, IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, NI_DGRAM, NI_NAMEREQD, NI_NOFQDN, NI_NUMERICHOST,
  NI_NUMERICSERV, SHUT_RD, SHUT_RDWR, SHUT_WR, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM, SOL_SOCKET, SO_BROADCAST,
  SO_KEEPALIVE, SO_REUSEADDR, TCP_NODELAY,
} from './constants.js';
export { getdefaulttimeout, setdefaulttimeout } from './defaulttimeout.js';
export type { Address } from './address.js';
export {
  BlockingIOError, EAI_ADDRFAMILY, EAI_AGAIN, EAI_BADFLAGS, EAI_FAIL, EAI_FAMILY, EAI_NODATA, EAI_NONAME, EAI_SERVICE,
  EAI_SOCKTYPE, EAI_SYSTEM, GaiError, HOST_NOT_FOUND, HostError, IncompleteReadError, NO_DATA, NO_RECOVERY,
  SocketTimeout, TRY_AGAIN, gaierror, herror, timeout,
} from './errors.js';
export {
  getaddrinfo, gethostbyaddr, gethostbyname, gethostbyname_ex, getfqdn, gethostname, getnameinfo, getResolver,
  setHostsFile, setResolver,
} from './resolver.js';
export type { AddrInfo, GetAddrInfoOptions, ResolveOptions, ResolverName } from './resolver.js';
export { SERVICES_PATH, builtinServices, getservbyname, getservbyport, parseServices, setServicesFile } from './services.js';
export type { ServiceEntry, ServicesOptions } from './services.js';
export { TcpSocket } from './tcp.js';
export type { TcpSocketOptions } from './tcp.js';
export { UdpSocket } from './udp.js';
export type { UdpSocketOptions } from './udp.js';
export { socket, createConnection, create_connection } from './socket.js';
export type { CreateConnectionOptions } from './socket.js';
export { StreamServer, DatagramServer } from './server.js';
export type { DatagramHandler, ServerOptions, StopOptions, StreamHandler, StreamServerOptions } from './server.js';
