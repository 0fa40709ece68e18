import {
  addGrant,
  createRole,
  deleteRole,
  listGrants,
  listRoles,
  removeGrant,
  updateRole,
} from '../../../domain/accounts/roles.ts';
import { errors } from '../../../domain/errors.ts';
import { sameOriginOnly } from '../../agentAuth.ts';
import type { ParleyContext } from '../../context.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { actorFrom, idParam } from '../agents/actor.ts';
import {
  addGrantSchema,
  createRoleSchema,
  grantListSchema,
  roleParam,
  updateRoleSchema,
} from './roles.schema.ts';

function roleName(ctx: ParleyContext): string {
  const parsed = roleParam.safeParse(ctx.params.name);
  if (!parsed.success) throw errors.notFound('role');
  return parsed.data;
}

/** Roles and permission grants (agents.manage). */
export function roleRoutes(routes: Routes, services: Services) {
  const sameOrigin = sameOriginOnly(services.config.publicOrigin);

  routes.get('/api/roles', 'agents.manage', async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await listRoles(services.db);
  });

  routes.post(
    '/api/roles',
    'agents.manage',
    sameOrigin,
    validate(createRoleSchema),
    async (ctx) => {
      ctx.status = 201;
      ctx.body = {
        role: await createRole(services, actorFrom(ctx), inputOf(ctx, createRoleSchema)),
      };
    },
  );

  routes.patch(
    '/api/roles/:name',
    'agents.manage',
    sameOrigin,
    validate(updateRoleSchema),
    async (ctx) => {
      const input = inputOf(ctx, updateRoleSchema);
      ctx.body = { role: await updateRole(services, actorFrom(ctx), roleName(ctx), input) };
      // A role's capacity changed (issue 14): chats waiting may now fit; route them now.
      if (input.defaultCapacity !== undefined) void services.routing.route();
    },
  );

  routes.delete('/api/roles/:name', 'agents.manage', sameOrigin, async (ctx) => {
    await deleteRole(services, actorFrom(ctx), roleName(ctx));
    ctx.status = 204;
  });

  routes.get('/api/grants', 'agents.manage', validate(grantListSchema), async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = { grants: await listGrants(services.db, inputOf(ctx, grantListSchema)) };
  });

  routes.post('/api/grants', 'agents.manage', sameOrigin, validate(addGrantSchema), async (ctx) => {
    ctx.status = 201;
    ctx.body = { grant: await addGrant(services, actorFrom(ctx), inputOf(ctx, addGrantSchema)) };
  });

  routes.delete('/api/grants/:id', 'agents.manage', sameOrigin, async (ctx) => {
    await removeGrant(services, actorFrom(ctx), idParam(ctx));
    ctx.status = 204;
  });
}
