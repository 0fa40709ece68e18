import { connect, createServer, type Socket } from 'node:net';

// The public name IT points at the serving site (DNS or a virtual IP), as a TCP relay on one port
// that `switchTo` moves to the other site; connections to the old site are cut, as a moved
// address would cut them, and clients reconnect to the same URL.

export async function publicName(port: number) {
  let target = port;
  const open = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    open.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.pipe(upstream).on('error', drop);
    upstream.pipe(client).on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: own } = server.address() as { port: number };
  return {
    url: `https://127.0.0.1:${own}`,
    switchTo(next: number) {
      target = next;
      for (const socket of open) socket.destroy();
      open.clear();
    },
    close() {
      server.close(); // stops listening; connections still open are cut below
      for (const socket of open) socket.destroy();
      server.unref();
    },
  };
}
