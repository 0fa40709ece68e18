import type {
  PasswordPolicyView,
  PasswordStatusResponse,
  PasswordStatusView,
} from '../../../app/shared/accounts.ts';
import type { Permission } from '../../../app/shared/permissions.ts';
import { api } from './api.ts';

/** The admin pages of the console and the permission each needs (any one of a list). */
export const ADMIN_PAGES = [
  { key: 'agents', title: 'Agents', needs: ['agents.manage'] },
  { key: 'departments', title: 'Departments & groups', needs: ['departments.manage'] },
  { key: 'roles', title: 'Roles & permissions', needs: ['agents.manage'] },
  { key: 'password-policy', title: 'Password policy', needs: ['security.manage'] },
  { key: 'card-masking', title: 'Card masking', needs: ['security.manage'] },
  { key: 'backups', title: 'Backups', needs: ['security.manage'] },
  { key: 'rate-limits', title: 'Visitor limits', needs: ['security.manage'] },
  { key: 'legal-holds', title: 'Legal holds', needs: ['transcripts.delete'] },
  { key: 'canned-messages', title: 'Canned messages', needs: ['canned_messages.manage'] },
  { key: 'routing', title: 'Routing', needs: ['routing_rules.manage'] },
] as const satisfies readonly { key: string; title: string; needs: readonly Permission[] }[];

export type AdminPage = (typeof ADMIN_PAGES)[number]['key'];

/**
 * What the signed-in agent may use, so the console shows only that (the server still checks every
 * request), and whether they must change their password before anything else.
 */
class Access {
  permissions: Permission[] = $state.raw([]);
  passwordStatus: PasswordStatusView = $state('ok');
  policy: PasswordPolicyView | null = $state.raw(null);

  can(...anyOf: readonly Permission[]): boolean {
    return anyOf.some((permission) => this.permissions.includes(permission));
  }

  get adminPages() {
    return ADMIN_PAGES.filter((page) => this.can(...page.needs));
  }

  async load(): Promise<void> {
    const [session, password] = await Promise.all([
      api<{ permissions?: Permission[] }>('GET', '/api/agent/session'),
      api<PasswordStatusResponse>('GET', '/api/agent/password'),
    ]);
    this.permissions = session.permissions ?? [];
    this.passwordStatus = password.status;
    this.policy = password.policy;
  }

  clear(): void {
    this.permissions = [];
    this.passwordStatus = 'ok';
    this.policy = null;
  }
}

export const access = new Access();
