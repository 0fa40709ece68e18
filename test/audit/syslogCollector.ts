import { createSocket } from 'node:dgram';

/** What a test reads of one RFC 5424 message: its MSGID (the action) and the entry's id. */
export interface Received {
  action: string;
  entryId: number;
  text: string;
}

/** A real UDP syslog collector on loopback, as a SIEM listens (RFC 5426). */
export async function udpSyslogCollector() {
  const socket = createSocket('udp4');
  const received: Received[] = [];
  socket.on('message', (message) => {
    const text = message.toString('utf8');
    // HEADER: <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, then [parley@32473 id="…" …].
    const action = text.split(' ')[5] ?? '';
    const entryId = Number(/ id="(\d+)"/.exec(text)?.[1] ?? NaN);
    received.push({ action, entryId, text });
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `udp://127.0.0.1:${socket.address().port}`,
    received,
    /** Resolves with the first message for `action`; rejects after `ms` without one. */
    async waitFor(action: string, ms = 15_000): Promise<Received> {
      const until = Date.now() + ms;
      for (;;) {
        const found = received.find((message) => message.action === action);
        if (found) return found;
        if (Date.now() > until) {
          throw new Error(
            `no syslog message for ${action} (received: ${received.map((m) => m.action).join(', ') || 'none'})`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
