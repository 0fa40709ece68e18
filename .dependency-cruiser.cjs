// The layering of ../shared/ARCHITECTURE.md and app/README.md, checked on every `make lint`
// (`npm run lint:deps`). dependency-cruiser reads the real module graph (resolved paths, type-only
// imports included), so a rule names folders, not import strings, and finds circles of any length.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import circle makes two modules one; break it by moving what both need.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'ui-only-shared',
      comment: 'The UI shares only app/shared/ with the server: wire types and pure helpers.',
      severity: 'error',
      from: { path: '^ui/' },
      to: { path: '^app/', pathNot: '^app/shared/' },
    },
    {
      name: 'shared-is-a-leaf',
      comment: 'app/shared/ runs in the browser and the server: it imports nothing of Parley else.',
      severity: 'error',
      from: { path: '^app/shared/' },
      to: { path: '^(app|backup|ops|config|ui|test)/', pathNot: '^app/shared/' },
    },
    {
      name: 'domain-no-transport',
      comment: 'Rules know neither HTTP nor sockets nor the processes that compose them.',
      severity: 'error',
      from: { path: '^app/domain/' },
      to: {
        path: '^app/(http|socket|metrics)/|^app/(server|main|services)\\.ts$|^(backup|ops|test)/',
      },
    },
    {
      name: 'domain-no-sql-no-network',
      comment:
        'SQL, Redis and the network live in app/storage/; the domain holds a Store it cannot query.',
      severity: 'error',
      from: { path: '^app/domain/' },
      to: {
        path: '(^|/)node_modules/(knex|mysql2|ioredis|rate-limiter-flexible|socket\\.io|koa|@koa/[^/]+|ssh2|ssh2-sftp-client|minio|clamscan)/|^(net|dgram|tls|http|https|http2|child_process)$|^app/storage/db\\.ts$',
      },
    },
    {
      name: 'storage-below-domain',
      comment:
        'Storage serves the domain and never calls back up (migrations may run domain rules).',
      severity: 'error',
      from: { path: '^app/storage/', pathNot: '^app/storage/migrations/' },
      to: { path: '^app/(domain|http|socket|metrics)/|^app/(server|main|services)\\.ts$' },
    },
    {
      name: 'transports-are-siblings',
      comment:
        'HTTP, Socket.IO and the metrics endpoint are siblings: what they share lives in the domain or app/shared.',
      severity: 'error',
      from: { path: '^app/(http|socket|metrics)/' },
      to: { path: '^app/(http|socket|metrics)/', pathNot: '^app/$1/' },
    },
    {
      name: 'transport-no-storage',
      comment: 'Transport goes through the domain; it may name a stored row type, never query.',
      severity: 'error',
      from: { path: '^app/(http|socket|metrics)/' },
      to: { path: '^app/storage/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'config-alone',
      comment: 'Every process reads config/; it depends on nothing of Parley but app/shared/.',
      severity: 'error',
      from: { path: '^config/' },
      to: { path: '^(app|backup|ops|ui|test)/', pathNot: '^app/shared/' },
    },
    {
      name: 'app-not-workers',
      comment: 'The server does not import the worker, the IT commands or the tests.',
      severity: 'error',
      from: { path: '^app/' },
      to: { path: '^(backup|ops|test)/' },
    },
    {
      name: 'workers-no-transport',
      comment: 'backup/ and ops/ reuse the domain and storage, never the transport.',
      severity: 'error',
      from: { path: '^(backup|ops)/' },
      to: { path: '^app/(http|socket|metrics)/|^app/(server|main)\\.ts$' },
    },
    {
      name: 'nothing-imports-tests',
      comment: 'Only tests import test code.',
      severity: 'error',
      from: { pathNot: '^test/|\\.test\\.ts$' },
      to: { path: '^test/|\\.test\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|ui/dist|\\.parley|test-results)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.svelte'] },
  },
};
