import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { trustedProxies } from '../../app/domain/clientAddress.ts';
import { admittingListener } from '../../app/http/peerAdmission.ts';

// The TCP listener in front of TLS (issue 12): per address, only so many connections are handed to
// the HTTPS server for their handshake at a time; the others wait their turn, and other addresses
// never wait for them. Real TCP connections; the HTTPS server is a stand-in that records handovers.

const servers: { close(): unknown }[] = [];
const clients: Socket[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
  for (const server of servers.splice(0)) server.close();
});

async function setup(perAddress: number, trusted: string[] = []) {
  const https = new EventEmitter();
  const handed: Socket[] = [];
  https.on('connection', (socket: Socket) => handed.push(socket));
  const listener = admittingListener(
    https as unknown as TlsServer,
    perAddress,
    trustedProxies(trusted),
  );
  servers.push(listener);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  const port = (listener.address() as { port: number }).port;
  const open = async (from: string) => {
    const client = connect({ port, host: '127.0.0.1', localAddress: from });
    clients.push(client);
    await new Promise((resolve) => client.once('connect', resolve));
  };
  /** The stand-in's handshake with this connection completes. */
  const secure = (socket: Socket) =>
    https.emit('secureConnection', {
      remoteAddress: socket.remoteAddress,
      remotePort: socket.remotePort,
    });
  return { handed, open, secure };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 100));

describe('TLS handshakes are admitted a few at a time per address', () => {
  it('queues the rest of one address, and admits the next as a handshake completes', async () => {
    const { handed, open, secure } = await setup(2);
    for (let i = 0; i < 5; i += 1) await open('127.0.0.1');
    await settle();
    expect(handed).toHaveLength(2);
    secure(handed[0]!);
    await settle();
    expect(handed).toHaveLength(3);
    secure(handed[1]!);
    secure(handed[2]!);
    await settle();
    expect(handed).toHaveLength(5); // in the order they came
    expect(handed.map((socket) => socket.remotePort)).toEqual(
      clients.map((client) => client.localPort),
    );
  });

  it('never makes another address wait', async () => {
    const { handed, open } = await setup(2);
    for (let i = 0; i < 6; i += 1) await open('127.0.0.1');
    await open('127.0.0.2');
    await settle();
    expect(handed.map((socket) => socket.remoteAddress)).toEqual([
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.2',
    ]);
  });

  it('hands a trusted proxy’s connections over at once (its visitors are limited by address)', async () => {
    const { handed, open } = await setup(1, ['127.0.0.3']);
    for (let i = 0; i < 4; i += 1) await open('127.0.0.3');
    await settle();
    expect(handed).toHaveLength(4);
  });
});
