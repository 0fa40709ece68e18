import { ADMIN_PAGES, type AdminPage } from '../admin/access.svelte.ts';

export type Route =
  | { view: 'live' }
  | { view: 'transcripts' }
  | { view: 'transcript'; chatId: number }
  | { view: 'ip-rules' }
  | { view: 'audit' }
  | { view: 'admin'; page: AdminPage }
  | { view: 'change-password' }
  | { view: 'account' }
  | { view: 'admin-sessions' }
  | { view: 'board' };

function parse(hash: string): Route {
  if (/^#\/admin\/ip-rules\/?$/.test(hash)) return { view: 'ip-rules' };
  if (/^#\/admin\/audit\/?$/.test(hash)) return { view: 'audit' };
  if (/^#\/admin\/sessions\/?$/.test(hash)) return { view: 'admin-sessions' };
  if (/^#\/account\/?$/.test(hash)) return { view: 'account' };
  if (/^#\/board\/?$/.test(hash)) return { view: 'board' };
  // Every page of the admin list (a page missing here fell back to the live view: issue 14's Routing).
  const admin = /^#\/admin\/([a-z-]+)\/?$/.exec(hash);
  const page = ADMIN_PAGES.find((known) => known.key === admin?.[1]);
  if (page) return { view: 'admin', page: page.key };
  if (/^#\/account\/password\/?$/.test(hash)) return { view: 'change-password' };
  const match = /^#\/transcripts(?:\/(\d+))?\/?$/.exec(hash);
  if (!match) return { view: 'live' };
  return match[1] ? { view: 'transcript', chatId: Number(match[1]) } : { view: 'transcripts' };
}

export const href = {
  live: '#/',
  transcripts: '#/transcripts',
  transcript: (chatId: number) => `#/transcripts/${chatId}`,
  ipRules: '#/admin/ip-rules',
  audit: '#/admin/audit',
  admin: (page: AdminPage) => `#/admin/${page}`,
  changePassword: '#/account/password',
  account: '#/account',
  adminSessions: '#/admin/sessions',
  board: '#/board',
};

/** Hash routes, so the server only ever serves one index.html. */
export class Router {
  route: Route = $state(parse(window.location.hash));

  constructor() {
    window.addEventListener('hashchange', () => {
      this.route = parse(window.location.hash);
    });
  }
}
