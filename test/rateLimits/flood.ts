// A flood of visitor sockets from one address, in a process of its own so that its client work
// (TLS handshakes, Socket.IO) does not run on the test's event loop, which measures /readyz.
//   node test/rateLimits/flood.ts <url> <sockets>
// Prints one JSON line when every socket has connected or been refused, then holds the connected
// ones open until stdin closes.
import { io, type Socket } from 'socket.io-client';
import { visitorTokens } from '../../app/domain/visitorTokens.ts';
import { testConfig } from '../harness/config.ts';
import { caCert } from '../harness/parley.ts';

const [url = '', countText = '1000'] = process.argv.slice(2);
const count = Number(countText);
const tokens = visitorTokens(testConfig().secretKey, 30);
const ca = caCert().toString('utf8');
const sockets: Socket[] = [];
const started = performance.now();

const messageOf = (value: unknown) =>
  typeof value === 'object' && value !== null ? (value as { message?: unknown }).message : value;

type Result = 'connected' | 'refused' | 'refusedEarly' | 'other';
const results = await Promise.all(
  Array.from({ length: count }, () => {
    // Each with a visitor token of its own: only the per-address limit can stop them.
    const socket = io(`${url}/visitor`, {
      ca,
      auth: { token: tokens.issue().token },
      reconnection: false,
      forceNew: true,
      timeout: 180_000,
      ...(process.env.FLOOD_TRANSPORTS
        ? { transports: process.env.FLOOD_TRANSPORTS.split(',') as ('polling' | 'websocket')[] }
        : {}),
    });
    sockets.push(socket);
    return new Promise<Result>((resolve) => {
      socket.once('connect', () => resolve('connected'));
      // Refused at the handshake (connect_error data), or before it: an HTTP 429 to the transport.
      socket.once(
        'connect_error',
        (error: Error & { data?: { id?: string }; description?: unknown }) =>
          resolve(
            error.data?.id === 'too_many_requests'
              ? 'refused'
              : error.description === 429 || /: 429$/.test(String(messageOf(error.description)))
                ? 'refusedEarly'
                : 'other',
          ),
      );
    });
  }),
);
const tally = (what: Result) => results.filter((result) => result === what).length;
process.stdout.write(
  `${JSON.stringify({
    connected: tally('connected'),
    refused: tally('refused'),
    refusedEarly: tally('refusedEarly'),
    other: tally('other'),
    ms: Math.round(performance.now() - started),
  })}\n`,
);
process.stdin.resume();
process.stdin.on('end', () => {
  for (const socket of sockets) socket.disconnect();
  process.exit(0);
});
