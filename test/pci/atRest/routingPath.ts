import type { Db } from '../../../app/storage/db.ts';
import {
  connectVisitor,
  connected,
  nextEvent,
  visitorToken,
  type AgentSocket,
  type TestParley,
} from '../../harness/parley.ts';
import type { OfferView } from '../../../app/shared/routing.ts';
import { setPresence, setRule } from '../../routing/helpers.ts';

type Reply = { ok: boolean; error?: { id: string } };

/** Routing's input path (issue 14): an agent refuses an offered chat with a reason typed by hand. */
export async function refuseOfferPath(
  t: TestParley,
  db: Db,
  agent: { id: number; socket: AgentSocket },
  ack: (tag: string, reply: Reply) => void,
  reason: string,
): Promise<void> {
  await setPresence(db, agent.id, 'online');
  await setRule(db, null, 'round_robin', { capacity: 10 });
  const offered = nextEvent<OfferView>(agent.socket, 'offer:new');
  const visitor = connectVisitor(t.url, await visitorToken(t));
  await connected(visitor);
  await visitor.emitWithAck('chat:start', {});
  const offer = await offered;
  ack(
    'offer-refusal',
    await agent.socket.emitWithAck('chat:refuse', { chatId: offer.chatId, reason }),
  );
  await setRule(db, null, 'manual');
  visitor.disconnect();
}
