import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  mergeCompose,
  parseYaml,
  toPlain,
  type YamlNode,
} from '../../ops/appliance/composeYaml.ts';
import { checkDockerfile } from '../../ops/appliance/dockerfileRules.ts';
import { checkCompose, type Finding } from '../../ops/appliance/hardeningRules.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const compose = readFileSync(`${root}docker-compose.yml`, 'utf8');

const check = (source: string) => checkCompose(parseYaml(source), 'docker-compose.yml');
const rulesOf = (findings: Finding[]) => findings.map((f) => `${f.where}: ${f.rule}`);
const offsiteDir = `${root}compose/offsite/`;
const overrides = readdirSync(offsiteDir)
  .filter((name) => name.endsWith('.yml'))
  .sort()
  .map((name) => ({ name, source: readFileSync(`${offsiteDir}${name}`, 'utf8') }));
/** docker-compose.yml with overrides applied, as `compose -f ... -f ...` (every target by default). */
const withOverrides = (extra: string[] = [], base = compose) =>
  checkCompose(
    [...overrides.map((o) => o.source), ...extra]
      .map((source, i) => parseYaml(source, `override-${i}.yml`))
      .reduce(mergeCompose, parseYaml(base)),
    'docker-compose.yml',
  );

/** The compose file with one edit inside one service's block (top-level keys when service is ''). */
function edit(service: string, from: string | RegExp, to: string): string {
  const start = service ? compose.indexOf(`\n  ${service}:\n`) : 0;
  expect(start, `service ${service}`).toBeGreaterThanOrEqual(0);
  const next = compose.slice(start + 1).search(/\n {2}\S|\n\S/);
  const end = next < 0 ? compose.length : start + 1 + next;
  const block = compose.slice(start, end);
  const changed = block.replace(from, to);
  expect(changed, `edit of ${service}`).not.toBe(block);
  return compose.slice(0, start) + changed + compose.slice(end);
}

describe('the hardening check', () => {
  it('passes docker-compose.yml, alone and with every offsite override, and every Dockerfile', () => {
    expect(check(compose)).toEqual([]);
    expect(overrides.map((o) => o.name)).toEqual([
      'dir.yml',
      'network.yml',
      's3-ca.yml',
      's3.yml',
      'sftp.yml',
    ]);
    expect(withOverrides()).toEqual([]);
    const dirs = readdirSync(`${root}compose`, { withFileTypes: true }).filter(
      // offsite/ holds compose overrides and prometheus/ the alert rules: neither builds an image.
      (d) => d.isDirectory() && d.name !== 'offsite' && d.name !== 'prometheus',
    );
    expect(dirs.map((d) => d.name).sort()).toEqual(['app', 'clamav', 'db', 'redis', 'sftp']);
    for (const dir of dirs) {
      const file = `compose/${dir.name}/Dockerfile`;
      expect(checkDockerfile(readFileSync(`${root}${file}`, 'utf8'), file)).toEqual([]);
    }
  });

  it.each([
    ['worker', "user: '10001:10001'", 'user: root', 'non-root-user'],
    ['app', /\n {4}user: '10001:10001'/, '', 'non-root-user'],
    ['db', 'read_only: true', 'read_only: false', 'read-only-rootfs'],
    ['app', 'size=64m,mode=1777,noexec,', 'mode=1777,', 'tmpfs-options'],
    ['clamav', 'cap_drop: [ALL]', 'cap_drop: [NET_RAW]', 'cap-drop-all'],
    [
      'app',
      'cap_drop: [ALL]',
      'cap_drop: [ALL]\n    cap_add: [NET_BIND_SERVICE]',
      'cap-add-justified',
    ],
    ['worker', "security_opt: ['no-new-privileges:true']", 'security_opt: []', 'no-new-privileges'],
    ['db', /\n {4}mem_limit: .*/, '', 'memory-limit'],
    ['clamav', /\n {4}cpus: .*/, '', 'cpu-limit'],
    ['app', 'pids_limit: 256', 'pids_limit: -1', 'pids-limit'],
    ['db', /\n {4}healthcheck:\n(\s{6}.*\n)+/, '\n', 'healthcheck'],
    ['worker', 'init: true', 'init: false', 'init'],
    ['clamav', 'restart: unless-stopped', 'restart: "no"', 'restart-policy'],
    ['app', 'init: true', 'init: true\n    privileged: true', 'no-privileged'],
    ['worker', 'init: true', 'init: true\n    network_mode: host', 'no-host-namespaces'],
    ['db', 'init: true', 'init: true\n    devices: [/dev/sda]', 'no-devices'],
    [
      'worker',
      '- backups:',
      '- /var/run/docker.sock:/var/run/docker.sock\n      - backups:',
      'no-docker-socket',
    ],
    ['app', '- uploads:', '- /etc:/host-etc:ro\n      - uploads:', 'no-sensitive-mounts'],
    [
      'db',
      'networks: [backend]',
      "networks: [backend]\n    ports: ['127.0.0.1:3306:3306']",
      'published-ports',
    ],
    ['app', /'\$\{PARLEY_BIND_ADDRESS[^']*:8443'/, "'443:8443'", 'published-ports'],
    ['app', /:8080'/, ":3000'", 'published-ports'],
    ['clamav', 'networks: [backend]', 'networks: [backend, edge]', 'internal-network'],
    ['worker', 'networks: [backend]', 'networks: [backend, edge]', 'internal-network'],
    ['ops', 'networks: [backend]', 'networks: [backend, egress]', 'internal-network'],
    ['redis', 'networks: [limits]', 'networks: [limits, edge]', 'internal-network'],
    ['redis', "user: '997:997'", "user: '0:0'", 'non-root-user'],
    [
      'app',
      'networks: [edge, backend, limits]',
      'networks: [edge, backend, limits, egress]',
      'internal-network',
    ],
    [
      'worker',
      'PARLEY_DB_HOST: db',
      'PARLEY_DB_HOST: db\n      PARLEY_DB_PASSWORD: hunter2',
      'secrets-from-files',
    ],
    [
      'app',
      'PARLEY_SECRET_KEY_FILE: /run/secrets/secret_key',
      'PARLEY_SECRET_KEY_FILE: /etc/key',
      'secrets-from-files',
    ],
    ['app', 'max-file', 'max-files', 'log-rotation'],
    ['db', /parley\/db:\$\{[^}]*\}/, 'parley/db', 'image-tag'],
  ])('fails %s on a broken rule: %s → %s', (service, from, to, rule) => {
    expect(rulesOf(check(edit(service, from, to)))).toContain(`service "${service}": ${rule}`);
  });

  it('lets only the worker and ops runs join the offsite network, and only through the override', () => {
    const networksOf = (tree: YamlNode, service: string) =>
      (toPlain(tree) as { services: Record<string, { networks: string[] }> }).services[service]!
        .networks;
    const all = overrides.map((o) => parseYaml(o.source)).reduce(mergeCompose, parseYaml(compose));
    expect(networksOf(parseYaml(compose), 'worker')).toEqual(['backend']);
    expect(networksOf(all, 'worker')).toEqual(['backend', 'offsite']);
    expect(networksOf(all, 'app')).toEqual(['edge', 'backend', 'limits']);
    const appOut = 'services:\n  app:\n    networks: [offsite]\n';
    expect(withOverrides([appOut])).toEqual([
      expect.objectContaining({
        where: 'service "app"',
        rule: 'internal-network',
        file: `override-${overrides.length}.yml`,
        line: 3,
      }),
    ]);
    const workerEdge = 'services:\n  worker:\n    networks: [edge]\n';
    expect(rulesOf(withOverrides([workerEdge]))).toEqual(['service "worker": internal-network']);
    const secretInEnv =
      'services:\n  worker:\n    environment:\n      PARLEY_BACKUP_S3_SECRET_KEY: hunter2\n';
    expect(rulesOf(withOverrides([secretInEnv]))).toEqual(['service "worker": secrets-from-files']);
    const privileged = 'services:\n  ops:\n    privileged: true\n';
    expect(rulesOf(withOverrides([privileged]))).toEqual(['service "ops": no-privileged']);
  });

  it("lets only a DR pair's override publish the database and the file receiver", () => {
    const dr = readFileSync(`${root}compose/dr.yml`, 'utf8');
    const withDr = (source: string, file = 'compose/dr.yml') =>
      checkCompose(mergeCompose(parseYaml(compose), parseYaml(source, file)), 'docker-compose.yml');
    expect(withDr(dr)).toEqual([]);
    // The same ports from any other file are refused, and so is another port from dr.yml.
    expect(rulesOf(withDr(dr, 'compose/offsite/dir.yml'))).toEqual([
      'service "db": published-ports',
      'service "sftp": published-ports',
    ]);
    const sshPort = dr.replace(":2222'", ":22'");
    expect(rulesOf(withDr(sshPort))).toEqual(['service "sftp": published-ports']);
  });

  it('accepts an added capability that says why', () => {
    const justified = edit(
      'app',
      'cap_drop: [ALL]',
      'cap_drop: [ALL]\n    cap_add:\n      # binds port 443 inside the container\n      - NET_BIND_SERVICE',
    );
    expect(check(justified)).toEqual([]);
  });

  it('requires every secret from a file, and the ones the appliance needs', () => {
    const fromEnv = compose.replace(
      / {2}db_password:\n {4}file: .*\n/,
      '  db_password:\n    environment: DB\n',
    );
    expect(rulesOf(check(fromEnv))).toContain('secret "db_password": secrets-from-files');
    const without = compose.replace(/ {2}backup_public_key:\n {4}file: .*\n/, '');
    expect(rulesOf(check(without))).toContain('secret "backup_public_key": secrets-from-files');
  });

  it('names the line of each finding', () => {
    const broken = edit('db', 'read_only: true', 'read_only: false');
    const line = broken.split('\n').findIndex((l) => l.includes('read_only: false')) + 1;
    expect(check(broken)).toEqual([
      expect.objectContaining({ where: 'service "db"', rule: 'read-only-rootfs', line }),
    ]);
  });
});

describe('the compose YAML reader', () => {
  it('reads mappings, sequences, flow collections, quotes and comments', () => {
    const doc = parseYaml(
      [
        'a:',
        '  list: [x, "y, z", 3]',
        "  quoted: 'it''s'",
        '  flag: true # why',
        '  items:',
        '  - one',
        '  - name: two',
        '    size: 2',
        '  empty: {}',
        '  wrapped:', // prettier's way with a long flow list
        '    [p, q]',
      ].join('\n'),
    );
    expect(toPlain(doc)).toEqual({
      a: {
        list: ['x', 'y, z', 3],
        quoted: "it's",
        flag: true,
        items: ['one', { name: 'two', size: 2 }],
        empty: {},
        wrapped: ['p', 'q'],
      },
    });
  });

  it('merges an override as Compose does, naming the file of its nodes', () => {
    const base = parseYaml('s:\n  networks: [a]\n  env:\n    X: 1\n    Y: 2\n  user: u\n');
    const override = parseYaml('s:\n  networks: [a, b]\n  env:\n    Y: 3\n  user: v\n', 'o.yml');
    const merged = mergeCompose(base, override);
    expect(toPlain(merged)).toEqual({
      s: { networks: ['a', 'b'], env: { X: 1, Y: 3 }, user: 'v' },
    });
    const s = (merged.value as Map<string, YamlNode>).get('s')!.value as Map<string, YamlNode>;
    expect(s.get('user')).toMatchObject({ file: 'o.yml', line: 5 });
    expect(s.get('networks')!.file).toBeUndefined();
  });

  it('refuses anchors, aliases and block scalars, naming the line', () => {
    expect(() => parseYaml('a: 1\nb: &x 2')).toThrow('line 2');
    expect(() => parseYaml('a:\n  <<: *base')).toThrow('merge keys');
    expect(() => parseYaml('a: |\n  text')).toThrow('line 1');
  });
});

describe('the Dockerfile rules', () => {
  const good = [
    'ARG BASE_IMAGE=parley/base:bookworm',
    'FROM ${BASE_IMAGE} AS build',
    'FROM ${BASE_IMAGE}',
    'RUN apt-get update && apt-get install -y --no-install-recommends x && rm -rf /var/lib/apt/lists/*',
    'COPY --from=build /a /a',
    'USER 10001',
  ];
  const rules = (lines: string[]) =>
    checkDockerfile(lines.join('\n'), 'Dockerfile').map((f) => f.rule);

  it('accepts the one base, stages, lean apt layers and a non-root user', () => {
    expect(rules(good)).toEqual([]);
  });

  it.each([
    [1, 'FROM debian:bookworm', 'dockerfile-base'],
    [5, 'USER root', 'dockerfile-user'],
    [4, 'ADD https://example.invalid/x /x', 'dockerfile-copy'],
    [3, 'RUN apt-get update && apt-get install -y x', 'dockerfile-apt'],
    [3, 'RUN wget -q -O /x something', 'dockerfile-no-download'],
  ])('flags line %i replaced by "%s" as %s', (index, line, rule) => {
    const lines = [...good];
    lines[index] = line;
    expect(rules(lines)).toContain(rule);
  });
});
