// The hardening rules every service of docker-compose.yml must meet (CIS Docker Benchmark section 5
// and the runtime side of section 4): non-root, read-only, no capabilities, limits, health, what it
// mounts, publishes and joins, secrets from files, log rotation, pinned images.
import { asList, asMap, text, type YamlMap, type YamlNode } from './composeYaml.ts';

/**
 * The only networks with a route out (not `internal: true`) each service may join; every other
 * service, and every other network, is internal only. The app serves the published ports, freshclam
 * (optional) fetches signatures, and the worker copies backups offsite (compose/offsite/network.yml,
 * only when a target is configured); an ops run fetches a copy back for a restore. On a site of a DR
 * pair (compose/dr.yml) the database, the ops runs (the DR commands), the worker (shipping files) and
 * the file receiver reach the peer site by `dr`.
 */
export const EXTERNAL_NETWORKS: Record<string, string[]> = {
  app: ['edge'],
  freshclam: ['egress'],
  worker: ['offsite', 'dr'],
  ops: ['offsite', 'dr'],
  db: ['dr'],
  sftp: ['dr'],
};
/** The services that publish ports, and the container ports each may publish: the app's HTTPS,
 * redirect and metrics (on the management address). */
export const PUBLISHERS: Record<string, number[]> = { app: [8443, 8080, 9464] };
/** What only a DR pair's override (compose/dr.yml) may publish, on the sites' link: the database
 * for the peer's replication and DR commands, and the file receiver. */
export const DR_PUBLISHERS: Record<string, number[]> = { db: [3306], sftp: [2222] };
const fromDrOverride = (node: YamlNode) => /(^|\/)compose\/dr\.yml$/.test(node.file ?? '');

const SENSITIVE_HOST_PATHS = [
  '/',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/proc',
  '/sys',
  '/usr',
  '/run',
  '/var/run',
];
const SECRET_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE|_KEY|APIKEY)/i;

/** Environment as name → value and node, from the mapping or the `NAME=value` list form. */
function environment(service: YamlMap): Map<string, { value: string; node: YamlNode }> {
  const env = new Map<string, { value: string; node: YamlNode }>();
  const node = service.get('environment');
  const map = asMap(node);
  if (map) for (const [name, value] of map) env.set(name, { value: text(value), node: value });
  for (const item of asList(node)) {
    const [name = '', ...rest] = text(item).split('=');
    env.set(name, { value: rest.join('='), node: item });
  }
  return env;
}

export function checkService(
  name: string,
  service: YamlMap,
  networks: YamlMap,
  report: (rule: string, message: string, node?: YamlNode) => void,
) {
  const get = (key: string) => service.get(key);

  const user = text(get('user'));
  if (user === '' || /^(root|0)(:|$)/.test(user)) {
    report(
      'non-root-user',
      `set "user" to a non-root account (CIS 4.1); it is "${user || 'unset'}"`,
      get('user'),
    );
  }
  if (get('read_only')?.value !== true) {
    report(
      'read-only-rootfs',
      'set "read_only: true" and add tmpfs mounts where it writes (CIS 5.12)',
      get('read_only'),
    );
  }
  for (const mount of asList(get('tmpfs'))) {
    const [, options = ''] = text(mount).split(/:(.*)/);
    const missing = ['size=', 'noexec', 'nosuid'].filter((option) => !options.includes(option));
    if (missing.length > 0) {
      report(
        'tmpfs-options',
        `tmpfs "${text(mount)}" needs ${missing.join(', ')} (bounded, no executables)`,
        mount,
      );
    }
  }
  if (!asList(get('cap_drop')).some((cap) => text(cap) === 'ALL')) {
    report('cap-drop-all', 'set "cap_drop: [ALL]" (CIS 5.3)', get('cap_drop'));
  }
  for (const cap of asList(get('cap_add'))) {
    if (!cap.comment) {
      report(
        'cap-add-justified',
        `cap_add ${text(cap)} needs a comment saying why the service needs it (CIS 5.3)`,
        cap,
      );
    }
  }
  if (!asList(get('security_opt')).some((opt) => /^no-new-privileges(:true)?$/.test(text(opt)))) {
    report(
      'no-new-privileges',
      'add "security_opt: [\'no-new-privileges:true\']" (CIS 5.25)',
      get('security_opt'),
    );
  }
  if (!get('mem_limit')) report('memory-limit', 'set "mem_limit" (CIS 5.10)');
  if (!get('cpus')) report('cpu-limit', 'set "cpus" (CIS 5.11)');
  const pids = get('pids_limit')?.value;
  if (typeof pids !== 'number' || pids <= 0)
    report('pids-limit', 'set "pids_limit" to a positive number (CIS 5.28)', get('pids_limit'));

  const healthcheck = asMap(get('healthcheck'));
  const test = asList(healthcheck?.get('test')).map(text);
  if (
    !healthcheck ||
    healthcheck.get('disable')?.value === true ||
    test.length === 0 ||
    test[0] === 'NONE'
  ) {
    report('healthcheck', 'add a "healthcheck" with a test (CIS 4.6)', get('healthcheck'));
  }
  if (get('init')?.value !== true)
    report('init', 'set "init: true" (signals and zombie processes)', get('init'));
  if (!/^(always|unless-stopped|on-failure(:\d+)?)$/.test(text(get('restart')))) {
    report(
      'restart-policy',
      'set "restart" to unless-stopped, always or on-failure (CIS 5.14)',
      get('restart'),
    );
  }
  if (get('privileged')?.value === true)
    report('no-privileged', 'remove "privileged: true" (CIS 5.4)', get('privileged'));
  for (const key of ['network_mode', 'pid', 'ipc', 'uts', 'userns_mode']) {
    if (text(get(key)).startsWith('host')) {
      report(
        'no-host-namespaces',
        `remove "${key}: host" (CIS 5.9, 5.15, 5.16, 5.20, 5.30)`,
        get(key),
      );
    }
  }
  if (asList(get('devices')).length > 0)
    report('no-devices', 'remove "devices" (CIS 5.17)', get('devices'));

  for (const volume of asList(get('volumes'))) {
    const source = text(asMap(volume)?.get('source') ?? volume).split(':')[0] ?? '';
    if (source.includes('docker.sock')) {
      report('no-docker-socket', `do not mount the Docker socket (${source}) (CIS 5.31)`, volume);
    } else if (
      SENSITIVE_HOST_PATHS.some(
        (path) => source === path || (path !== '/' && source.startsWith(`${path}/`)),
      )
    ) {
      report('no-sensitive-mounts', `do not mount the host's ${source} (CIS 5.5)`, volume);
    }
  }

  for (const port of asList(get('ports'))) {
    const allowed = (fromDrOverride(port) ? DR_PUBLISHERS : PUBLISHERS)[name];
    if (!allowed) {
      report(
        'published-ports',
        `only ${Object.keys(PUBLISHERS).join(', ')} may publish ports (and, in compose/dr.yml, ${Object.keys(DR_PUBLISHERS).join(', ')}); remove "ports"`,
        port,
      );
      continue;
    }
    const parts = text(port)
      .replace(/\$\{[^}]*\}/g, 'VAR')
      .split(':');
    const target = Number(parts.at(-1)?.split('/')[0]);
    if (parts.length !== 3) {
      report(
        'published-ports',
        `bind "${text(port)}" to a configured host address (ADDRESS:PORT:PORT) (CIS 5.13)`,
        port,
      );
    } else if (!allowed.includes(target)) {
      report(
        'published-ports',
        `container port ${target} may not be published (only ${allowed.join(', ')})`,
        port,
      );
    }
  }
  const joined = asList(get('networks'))
    .map(text)
    .concat([...(asMap(get('networks'))?.keys() ?? [])]);
  const allowedOut = EXTERNAL_NETWORKS[name] ?? [];
  const external = joined.filter(
    (network) =>
      asMap(networks.get(network))?.get('internal')?.value !== true &&
      !allowedOut.includes(network),
  );
  if (joined.length === 0 || external.length > 0) {
    const except = allowedOut.length > 0 ? ` besides ${allowedOut.join(', ')}` : '';
    report(
      'internal-network',
      `join only internal networks (no route out)${except}; not: ${external.join(', ') || 'the default network'}`,
      asList(get('networks')).find((network) => external.includes(text(network))) ??
        get('networks'),
    );
  }

  for (const [variable, { value, node }] of environment(service)) {
    if (!SECRET_NAME.test(variable)) continue;
    if (!variable.endsWith('_FILE')) {
      const message = `${variable} looks like a secret in the environment; use a Compose secret and ${variable}_FILE`;
      report('secrets-from-files', message, node);
    } else if (!value.startsWith('/run/secrets/')) {
      const message = `${variable} must name a file under /run/secrets/ (a Compose secret)`;
      report('secrets-from-files', message, node);
    }
  }

  const logging = asMap(get('logging'));
  const driver = text(logging?.get('driver'));
  const options = asMap(logging?.get('options'));
  const rotated =
    driver === 'local' ||
    (driver === 'json-file' && options?.has('max-size') && options.has('max-file'));
  if (!rotated)
    report(
      'log-rotation',
      'set "logging" to json-file with max-size and max-file (or local)',
      get('logging'),
    );

  const image = text(get('image'));
  if (!/:[^/]+$/.test(image) || image.endsWith(':latest')) {
    report(
      'image-tag',
      `give "image" an explicit version tag (not latest): "${image}"`,
      get('image'),
    );
  }
}
