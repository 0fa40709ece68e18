import { bodyParser } from '@koa/bodyparser';
import Router from '@koa/router';
import Koa from 'koa';
import type { ParleyState, Services } from './context.ts';
import { errorHandler } from './errorHandler.ts';
import { agentSessionRoutes } from './routes/agentSession/agentSession.routes.ts';
import { declare } from './route.ts';
import { healthRoutes } from './routes/health/health.routes.ts';
import { transcriptRoutes } from './routes/transcripts/transcripts.routes.ts';
import { visitorRoutes } from './routes/visitors/visitors.routes.ts';
import { securityHeaders } from './securityHeaders.ts';
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
  transcriptRoutes(routes, services);

  app.use(errorHandler(services.log));
  app.use(securityHeaders());
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '64kb', encoding: 'utf-8' }));
  app.use(router.routes());
  app.use(router.allowedMethods());
  app.use(staticUi(defaultUiDir(services.config.env.PARLEY_UI_DIR)));
  return app;
}
