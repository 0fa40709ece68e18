export type Route =
  { view: 'live' } | { view: 'transcripts' } | { view: 'transcript'; chatId: number };

function parse(hash: string): Route {
  const match = /^#\/transcripts(?:\/(\d+))?\/?$/.exec(hash);
  if (!match) return { view: 'live' };
  return match[1] ? { view: 'transcript', chatId: Number(match[1]) } : { view: 'transcripts' };
}

export const href = {
  live: '#/',
  transcripts: '#/transcripts',
  transcript: (chatId: number) => `#/transcripts/${chatId}`,
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
