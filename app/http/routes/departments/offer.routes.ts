import { visitorDepartments } from '../../../domain/departments/offered.ts';
import { listOffers, setOffer } from '../../../domain/departments/offerSettings.ts';
import type { Services } from '../../../services.ts';
import { sameOriginOnly } from '../../agentAuth.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { actorFrom, idParam } from '../agents/actor.ts';
import { departmentOfferSchema } from './offer.schema.ts';

/** Departments as visitors see them (issue 14): the widget's choice, and the admin's settings. */
export function departmentOfferRoutes(routes: Routes, services: Services) {
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);
  const departments = visitorDepartments(services.db);

  // The widget, cross-origin with the visitor's token: ids and visitor-facing names, nothing else.
  routes.options('/api/visitor/departments', 'visitor');
  routes.get('/api/visitor/departments', 'visitor', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { departments: await departments.offered() };
  });

  routes.get('/api/departments/offers', 'departments.manage', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { departments: await listOffers(services.db) };
  });

  routes.put(
    '/api/departments/:id/offer',
    'departments.manage',
    sameOrigin,
    validate(departmentOfferSchema),
    async (ctx) => {
      const input = inputOf(ctx, departmentOfferSchema);
      ctx.body = { department: await setOffer(services, actorFrom(ctx), idParam(ctx), input) };
    },
  );
}
