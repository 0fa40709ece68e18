import type { Next, ParameterizedContext } from 'koa';
import { clientAddress, type TrustedProxies } from '../domain/clientAddress.ts';
import type { ParleyState } from './context.ts';

/**
 * Puts the client address on `ctx.state.clientIp`, and on `ctx.ip` too, so no code reads the raw
 * socket address or an unvetted X-Forwarded-For by mistake.
 */
export function clientAddressMiddleware(trusted: TrustedProxies) {
  return async (ctx: ParameterizedContext<ParleyState>, next: Next) => {
    const address = clientAddress(
      ctx.req.socket.remoteAddress,
      ctx.req.headers['x-forwarded-for'],
      trusted,
    );
    ctx.state.clientIp = address;
    ctx.request.ip = address;
    await next();
  };
}
