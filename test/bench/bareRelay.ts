// The ceiling: a bare Socket.IO relay with no persistence, no validation and no auth, over the same
// transport as Parley (HTTPS with the same certificate, the same socket.io options). It speaks just
// enough of Parley's protocol for the same bench clients: chat:start, chat:accept, message:send.
// Started by run.ts in its own process: `node test/bench/bareRelay.ts`.
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import type { MessageView } from '../../app/shared/protocol.ts';
import { TEST_ORIGIN, testConfig } from '../harness/config.ts';
import { announceReady } from './child.ts';

interface Chat {
  id: number;
  visitor: Socket;
  agent: Socket | null;
  seq: number;
}

type Ack = (reply: unknown) => void;

const config = testConfig();
const https = createServer({ ...config.tls!, minVersion: 'TLSv1.2' });
// The same engine options as Parley's createSocketServer, so only the work per message differs.
const io = new Server(https, {
  path: '/socket.io',
  serveClient: false,
  maxHttpBufferSize: 1_000_000,
  pingInterval: 20_000,
  pingTimeout: 20_000,
});
const chats = new Map<number, Chat>();
let lastChatId = 0;

const chatView = (chat: Chat) => ({ id: chat.id, status: chat.agent ? 'active' : 'queued' });
const failure = (id: string) => ({ ok: false, error: { id, message: id } });

io.of('/visitor').on('connection', (socket) => {
  socket.on('chat:start', (_input: unknown, ack: Ack) => {
    lastChatId += 1;
    const chat: Chat = { id: lastChatId, visitor: socket, agent: null, seq: 0 };
    chats.set(chat.id, chat);
    ack({ ok: true, chat: chatView(chat) });
  });
  socket.on(
    'message:send',
    (input: { chatId: number; clientId: string; body: string }, ack: Ack) => {
      const chat = chats.get(input.chatId);
      if (!chat || chat.visitor !== socket) {
        ack(failure('chat_not_found'));
        return;
      }
      chat.seq += 1;
      // The same shape Parley delivers and acknowledges, so both sides carry the same bytes.
      const message: MessageView = {
        chatId: chat.id,
        seq: chat.seq,
        clientId: input.clientId,
        author: 'visitor',
        authorName: null,
        body: input.body,
        createdAt: new Date().toISOString(),
      };
      chat.agent?.emit('message:new', message);
      ack({ ok: true, message });
    },
  );
});

io.of('/agent').on('connection', (socket) => {
  socket.on('chat:accept', (input: { chatId: number }, ack: Ack) => {
    const chat = chats.get(input.chatId);
    if (!chat || chat.agent) {
      ack(failure('chat_not_queued'));
      return;
    }
    chat.agent = socket;
    ack({ ok: true, chat: chatView(chat) });
  });
});

https.listen(0, '127.0.0.1', () => {
  const port = (https.address() as AddressInfo).port;
  announceReady({ port, origin: TEST_ORIGIN, agents: [] }, async () => {
    await io.close();
    https.closeAllConnections();
  });
});
