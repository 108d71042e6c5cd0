import net from 'node:net';
import { describe, expect, it } from 'vitest';

describe('the loopback guard every test runs under', () => {
  it('refuses a connection beyond this machine before any packet leaves', () => {
    expect(() => net.connect({ host: '169.254.169.254', port: 80 })).toThrowError(
      /tried to connect to 169.254.169.254: only loopback addresses are allowed/,
    );
    expect(() => net.connect(443, 'batch.us-east-1.amazonaws.com')).toThrowError(/only loopback/);
  });

  it('lets loopback connections through', async () => {
    const server = net.createServer((socket) => socket.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.on('data', (data) => resolve(String(data)));
      socket.on('error', reject);
    });
    server.close();
    expect(reply).toBe('ok');
  });
});
