import {
  createUnit,
  deleteUnit,
  listUnits,
  updateUnit,
  type OrganisationKind,
} from '../../../domain/accounts/organisation.ts';
import type { Permission } from '../../../shared/permissions.ts';
import { sameOriginOnly } from '../../agentAuth.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { actorFrom, idParam } from '../agents/actor.ts';
import { createUnitSchema, updateUnitSchema } from './departments.schema.ts';
import { departmentOfferRoutes } from './offer.routes.ts';

// Agent managers read the list too: the agent form and the grants editor pick from it.
const READ: readonly Permission[] = ['departments.manage', 'agents.manage'];

/** CRUD for departments or agent groups at `base` (departments.manage). */
export function organisationRoutes(
  routes: Routes,
  services: Services,
  kind: OrganisationKind,
  base: string,
) {
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);
  const key = kind === 'department' ? 'departments' : 'groups';

  routes.get(base, READ, async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { [key]: await listUnits(services.db, kind) };
  });

  routes.post(base, 'departments.manage', sameOrigin, validate(createUnitSchema), async (ctx) => {
    ctx.status = 201;
    ctx.body = {
      [kind]: await createUnit(services, actorFrom(ctx), kind, inputOf(ctx, createUnitSchema)),
    };
  });

  routes.patch(
    `${base}/:id`,
    'departments.manage',
    sameOrigin,
    validate(updateUnitSchema),
    async (ctx) => {
      const id = idParam(ctx);
      const input = inputOf(ctx, updateUnitSchema);
      ctx.body = { [kind]: await updateUnit(services, actorFrom(ctx), kind, id, input) };
    },
  );

  routes.delete(`${base}/:id`, 'departments.manage', sameOrigin, async (ctx) => {
    await deleteUnit(services, actorFrom(ctx), kind, idParam(ctx));
    ctx.status = 204;
  });
}

export function departmentRoutes(routes: Routes, services: Services) {
  departmentOfferRoutes(routes, services);
  organisationRoutes(routes, services, 'department', '/api/departments');
}
