import net from 'node:net';

/**
 * No test may open a connection beyond this machine (the workplace forbids it, and a test that reached AWS
 * would not be testing stepwait). Every TCP connection made in a test process goes through here: anything but
 * a loopback address fails the test that made it, naming the address.
 */
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost|::ffff:127\.\d+\.\d+\.\d+)$/;

const connect = net.Socket.prototype.connect as (...args: unknown[]) => net.Socket;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  // net.connect() hands the socket its arguments already normalized, as one array.
  const [first, second] = Array.isArray(args[0]) ? (args[0] as unknown[]) : args;
  const options = typeof first === 'object' && first !== null ? (first as net.NetConnectOpts) : undefined;
  const path = options && 'path' in options ? options.path : undefined;
  const host = options && 'host' in options ? options.host : typeof second === 'string' ? second : undefined;
  if (path === undefined && typeof first !== 'string' && !LOOPBACK.test(host ?? 'localhost')) {
    throw new Error(`a test tried to connect to ${host}: only loopback addresses are allowed`);
  }
  return connect.apply(this, args);
} as typeof net.Socket.prototype.connect;
