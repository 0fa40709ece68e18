import { readFileSync, writeFileSync } from 'node:fs';
import type { MessageView } from '../../app/shared/protocol.ts';
import { check, type hostClient } from './hostClient.ts';

// hostTest.ts's file commands (the DR test, issue 15): the visitor shares a file in the chat kept in
// the state file, and later downloads it again — on another site after a failover.
//   upload --state FILE     the visitor uploads a small file; FILE records its id and content
//   download --state FILE   the visitor downloads that file: the same bytes

interface FileState {
  visitorToken: string;
  chatId: number;
  file?: { id: number; content: string };
}

type Client = ReturnType<typeof hostClient>;

export async function upload(client: Client, url: string, origin: string, statePath: string) {
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as FileState;
  const content = `A file shared before the failover, ${new Date().toISOString()}.\n`;
  const reply = await client.call('POST', `${url}/api/visitor/chats/${state.chatId}/files`, {
    body: Buffer.from(content),
    headers: {
      origin,
      authorization: `Bearer ${state.visitorToken}`,
      'x-parley-file-name': encodeURIComponent('before-the-failover.txt'),
    },
  });
  check(
    reply.status === 201 || reply.status === 200,
    `the upload answered ${reply.status}: ${reply.body}`,
  );
  const { message } = JSON.parse(reply.body) as { message: MessageView };
  check(message.file, `the upload's message has no file: ${reply.body}`);
  writeFileSync(statePath, JSON.stringify({ ...state, file: { id: message.file.id, content } }));
  console.log(`host-test: chat ${state.chatId}: the visitor shared file ${message.file.id}`);
}

export async function download(client: Client, url: string, origin: string, statePath: string) {
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as FileState;
  check(state.file, 'no file was uploaded (hostTest.ts upload first)');
  const reply = await client.call('GET', `${url}/api/visitor/files/${state.file.id}`, {
    headers: { origin, authorization: `Bearer ${state.visitorToken}` },
  });
  check(
    reply.status === 200,
    `downloading file ${state.file.id} answered ${reply.status}: ${reply.body}`,
  );
  check(
    reply.body === state.file.content,
    `file ${state.file.id} came back different: ${reply.body}`,
  );
  console.log(`host-test: file ${state.file.id} downloads whole (${reply.body.length} bytes)`);
}
