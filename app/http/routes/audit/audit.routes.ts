import { exportStream, EXPORT_TYPES } from '../../../domain/audit/auditExport.ts';
import {
  auditSearch,
  presentAuditEvent,
  type AuditFilters,
} from '../../../domain/audit/auditSearch.ts';
import type { AuditSearchResponse, AuditVerifyResponse } from '../../../shared/audit.ts';
import { errors } from '../../../domain/errors.ts';
import { describeError } from '../../../log.ts';
import type { ParleyContext } from '../../context.ts';
import type { Services } from '../../../services.ts';
import type { Routes } from '../../route.ts';
import { inputOf, validate } from '../../validate.ts';
import { auditExportSchema, auditSearchSchema, emptyQuerySchema } from './audit.schema.ts';

/** The filters as they are recorded with an export: dates as ISO text, absent ones left out. */
function describeFilters(filters: AuditFilters): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(filters)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, value instanceof Date ? value.toISOString() : value]),
  );
}

/** Admin › Audit log: search, export and chain verification, all behind `audit.view`. */
export function auditRoutes(routes: Routes, services: Services) {
  const search = auditSearch(services.db);
  const actor = (ctx: ParleyContext) => ({
    actor: { kind: 'agent' as const, id: ctx.state.agent!.id, label: ctx.state.agent!.email },
    ip: ctx.state.clientIp ?? ctx.ip,
    userAgent: ctx.get('User-Agent'),
  });

  /**
   * Sign-in refusals are summarised per address and window once the window has ended: write the
   * summaries that are due, so a search sees them now rather than at the worker's next run.
   */
  async function closeSigninWindows(ctx: ParleyContext) {
    try {
      await services.signin.upkeep.refusals.closeEnded(100);
    } catch (error) {
      ctx.state.log.warn({ err: describeError(error) }, 'sign-in summaries not written yet');
    }
  }

  routes.get('/api/audit', 'audit.view', validate(auditSearchSchema), async (ctx) => {
    const { before, limit, ...filters } = inputOf(ctx, auditSearchSchema);
    if (before === undefined) await closeSigninWindows(ctx);
    const page = await search.page(filters, ctx.state.grants!.scopeOf('audit.view'), {
      before,
      limit,
    });
    const body: AuditSearchResponse = {
      entries: page.rows.map(presentAuditEvent),
      nextBefore: page.nextBefore,
    };
    ctx.set('Cache-Control', 'no-store');
    ctx.body = body;
  });

  routes.get('/api/audit/export', 'audit.view', validate(auditExportSchema), async (ctx) => {
    const { format, ...filters } = inputOf(ctx, auditExportSchema);
    await closeSigninWindows(ctx);
    const upTo = await search.newestId();
    // Recorded before the first byte, so an export is on the log even if the download breaks off.
    await services.audit.record({
      ...actor(ctx),
      action: 'audit.export',
      outcome: 'success',
      details: { format, filters: describeFilters(filters), upToEntry: upTo },
    });
    const log = ctx.state.log;
    const rows = search.each(filters, ctx.state.grants!.scopeOf('audit.view'), upTo);
    const stamp = new Date()
      .toISOString()
      .replace(/\.\d+Z$/, 'Z')
      .replace(/:/g, '-');
    ctx.set('Content-Disposition', `attachment; filename="parley-audit-${stamp}.${format}"`);
    ctx.set('Cache-Control', 'no-store');
    ctx.type = EXPORT_TYPES[format];
    ctx.body = exportStream(rows, format, (error) =>
      log.error({ err: describeError(error) }, 'audit export failed part way'),
    );
  });

  routes.get('/api/audit/verify', 'audit.view', validate(emptyQuerySchema), async (ctx) => {
    // The whole chain is checked, so a grant limited to some departments is not enough.
    if (!ctx.state.grants!.scopeOf('audit.view').all) {
      throw errors.forbidden(
        'verify the whole audit log: your audit.view grant covers only some departments',
      );
    }
    const result: AuditVerifyResponse = await services.audit.verify();
    await services.audit.record({
      ...actor(ctx),
      action: 'audit.verify',
      outcome: result.ok ? 'success' : 'failure',
      details: result.ok
        ? { intact: true, checked: result.checked }
        : { intact: false, firstBroken: result.id, kind: result.kind },
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = result;
  });
}
