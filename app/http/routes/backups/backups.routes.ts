import { backupStatus } from '../../../domain/backupStatus.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { validate } from '../../validate.ts';
import { emptyQuerySchema } from '../audit/audit.schema.ts';

/** Admin › Backups (issue 7): the newest backup, the last drill and the offsite copies, for IT. */
export function backupRoutes(routes: Routes, services: Services) {
  routes.get('/api/backups/status', 'security.manage', validate(emptyQuerySchema), async (ctx) => {
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await backupStatus(services.config.env.PARLEY_BACKUP_DIR);
  });
}
