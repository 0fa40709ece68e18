import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import { trustedProxies } from '../domain/clientAddress.ts';
import { clientAddressMiddleware } from './clientAddress.ts';
import type { ParleyState } from './context.ts';
import { standbyError } from '../domain/siteRole.ts';
import type { Services } from '../services.ts';
import { errorHandler } from './errorHandler.ts';
import { BODY_LIMIT_BYTES } from './validate.ts';
import { accountRoutes } from './routes/agents/accounts.ts';
import { agentSessionRoutes } from './routes/agentSession/agentSession.routes.ts';
import { auditRoutes } from './routes/audit/audit.routes.ts';
import { backupRoutes } from './routes/backups/backups.routes.ts';
import { cannedMessageRoutes } from './routes/cannedMessages/cannedMessages.routes.ts';
import { cardMaskingRoutes } from './routes/cardMasking/cardMasking.routes.ts';
import { declare } from './route.ts';
import { fileRoutes } from './routes/files/files.routes.ts';
import { healthRoutes } from './routes/health/health.routes.ts';
import { notificationSettingsRoutes } from './routes/notificationSettings/notificationSettings.routes.ts';
import { legalHoldRoutes } from './routes/legalHolds/legalHolds.routes.ts';
import { ipRuleRoutes } from './routes/ipRules/ipRules.routes.ts';
import { rateLimitRoutes } from './routes/rateLimits/rateLimits.routes.ts';
import { routingRuleRoutes } from './routes/routingRules/routingRules.routes.ts';
import { transcriptDeletionRoutes } from './routes/transcripts/transcriptDeletion.routes.ts';
import { transcriptRoutes } from './routes/transcripts/transcripts.routes.ts';
import { visitorRoutes } from './routes/visitors/visitors.routes.ts';
import { sessionRoutes } from './routes/sessions/sessions.routes.ts';
import { signinRoutes } from './routes/signin/signin.routes.ts';
import { totpRoutes } from './routes/totp/totp.routes.ts';
import { securityHeaders } from './securityHeaders.ts';
import { widgetCors } from './widgetCors.ts';
import { defaultUiDir, staticUi } from './staticUi.ts';

/** The Koa application: every route is declared here, after the shared middleware. */
export function createHttpApp(services: Services): Koa<ParleyState> {
  const app = new Koa<ParleyState>();
  app.proxy = false; // X-Forwarded-For is trusted only via the trusted-proxies list (issue 4)
  app.silent = true; // errors are logged by errorHandler, without stack traces on stderr

  const router = new Router<ParleyState>();
  const routes = declare(router, services);
  healthRoutes(routes, services);
  visitorRoutes(routes, services);
  agentSessionRoutes(routes, services);
  totpRoutes(routes, services);
  sessionRoutes(routes, services);
  signinRoutes(routes, services);
  transcriptRoutes(routes, services);
  accountRoutes(routes, services);
  auditRoutes(routes, services);
  ipRuleRoutes(routes, services);
  fileRoutes(routes, services);
  cardMaskingRoutes(routes, services);
  legalHoldRoutes(routes, services);
  backupRoutes(routes, services);
  rateLimitRoutes(routes, services);
  routingRuleRoutes(routes, services);
  cannedMessageRoutes(routes, services); // issue 14
  notificationSettingsRoutes(routes, services);
  transcriptDeletionRoutes(routes, services);

  app.use(errorHandler(services.log));
  app.use(clientAddressMiddleware(trustedProxies(services.config.env.PARLEY_TRUSTED_PROXIES)));
  app.use(securityHeaders());
  // A standby site answers its health and its static console, and nothing else (issue 15). The
  // widget's CORS comes first, so that its origins can read the refusal and wait as it says.
  const standbyCors = widgetCors(services);
  app.use(async (ctx, next) => {
    if (services.siteRole.role() === 'standby' && ctx.path.startsWith('/api/'))
      await standbyCors(ctx, () => Promise.reject(standbyError()));
    else await next();
  });
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: BODY_LIMIT_BYTES, encoding: 'utf-8' }));
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use(staticUi(defaultUiDir(services.config.env.PARLEY_UI_DIR)));
  return app;
}
