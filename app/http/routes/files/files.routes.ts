import type { Next } from 'koa';
import type { Participant } from '../../../domain/chats/participants.ts';
import { errors } from '../../../domain/errors.ts';
import { CARD_NUMBER_REFUSED } from '../../../domain/masking/identifiers.ts';
import { newClientId } from '../../../shared/clientIds.ts';
import { holdsCardData } from '../../../shared/maskDeep.ts';
import { loadGrants } from '../../../domain/permissions/policy.ts';
import type { ParleyContext } from '../../context.ts';
import type { Services } from '../../../services.ts';
import { rateLimited } from '../../rateLimited.ts';
import type { Routes } from '../../route.ts';

// File transfers in chat. Uploads are the raw body (application/octet-stream), streamed through the
// file path (app/domain/files/upload.ts) — @koa/bodyparser only parses JSON, so it leaves them alone.
// The name travels percent-encoded in X-Parley-File-Name; X-Parley-Client-Id (optional) makes a
// retried upload answer with the first message.

const id = (raw: string | undefined) => {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw errors.invalidInput('The id must be a positive whole number.');
  return value;
};

/** Like sameOriginOnly (CSRF), for a raw upload body instead of JSON. */
function sameOriginUpload(publicOrigin: string) {
  return async (ctx: ParleyContext, next: Next) => {
    const origin = ctx.get('Origin');
    if (origin !== '' && origin !== publicOrigin) throw errors.originNotAllowed();
    const site = ctx.get('Sec-Fetch-Site');
    if (origin === '' && site !== '' && site !== 'same-origin') throw errors.originNotAllowed();
    await next();
  };
}

function uploadInput(ctx: ParleyContext) {
  if (!ctx.is('application/octet-stream'))
    throw errors.invalidInput(
      'Send the file as the request body, with Content-Type: application/octet-stream.',
    );
  const rawName = ctx.get('X-Parley-File-Name');
  if (rawName === '') throw errors.fileNameInvalid('send it percent-encoded in X-Parley-File-Name');
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    throw errors.fileNameInvalid('it is not valid percent-encoded UTF-8');
  }
  const clientId = ctx.get('X-Parley-Client-Id') || `file-${newClientId()}`;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(clientId))
    throw errors.invalidInput('X-Parley-Client-Id must be 1 to 64 letters, digits, _ or -.');
  if (holdsCardData(clientId))
    throw errors.invalidInput(`X-Parley-Client-Id ${CARD_NUMBER_REFUSED}.`);
  const length = ctx.get('Content-Length');
  return {
    chatId: id(ctx.params.chatId),
    name,
    clientId,
    declaredLength: length === '' ? null : Number(length),
    body: ctx.req as AsyncIterable<Buffer>,
  };
}

const source = (ctx: ParleyContext) => ({
  ip: ctx.state.clientIp,
  userAgent: ctx.get('User-Agent'),
});

/** Serves a file so that it can never run in Parley's origin, whatever its content. */
async function serve(ctx: ParleyContext, services: Services, who: Participant) {
  const { file, stream } = await services.files.download(who, id(ctx.params.fileId), source(ctx));
  const ascii = file.name.replace(/[^\x20-\x7e]|["\\%;]/g, '_');
  ctx.set(
    'Content-Disposition',
    `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(file.name)}`,
  );
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Content-Security-Policy', "sandbox; default-src 'none'; frame-ancestors 'none'");
  ctx.set('Cache-Control', 'private, no-store');
  ctx.type = file.type === 'text/plain' ? 'text/plain; charset=utf-8' : file.type;
  ctx.length = file.size;
  ctx.body = stream;
}

export function fileRoutes(routes: Routes, services: Services) {
  const csrf = sameOriginUpload(services.config.publicOrigin);
  const agent = async (ctx: ParleyContext): Promise<Participant> => ({
    kind: 'agent',
    agent: ctx.state.agent!,
    grants: ctx.state.grants ?? (await loadGrants(services.db, ctx.state.agent!)),
    source: source(ctx),
  });
  const visitor = (ctx: ParleyContext): Participant => ({
    kind: 'visitor',
    visitorId: ctx.state.visitorId!,
  });

  routes.post('/api/chats/:chatId/files', 'signedIn', csrf, async (ctx) => {
    const message = await services.files.upload(await agent(ctx), uploadInput(ctx), source(ctx));
    ctx.status = 201;
    ctx.body = { message };
  });
  routes.get('/api/files/:fileId', 'signedIn', async (ctx) =>
    serve(ctx, services, await agent(ctx)),
  );

  routes.options('/api/visitor/chats/:chatId/files', 'visitor');
  const uploadLimit = rateLimited(services, 'upload', (ctx) => ctx.state.visitorId ?? null);
  routes.post('/api/visitor/chats/:chatId/files', 'visitor', uploadLimit, async (ctx) => {
    const message = await services.files.upload(visitor(ctx), uploadInput(ctx), source(ctx));
    ctx.status = 201;
    ctx.body = { message };
  });
  routes.options('/api/visitor/files/:fileId', 'visitor');
  routes.get('/api/visitor/files/:fileId', 'visitor', async (ctx) =>
    serve(ctx, services, visitor(ctx)),
  );
}
