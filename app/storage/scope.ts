/**
 * Which resources a permission reaches, as a filter for queries over many of them: those in these
 * departments or handled by these agents; `all` ignores both lists (app/domain/permissions).
 */
export interface ScopeFilter {
  all: boolean;
  departmentIds: number[];
  agentIds: number[];
}
