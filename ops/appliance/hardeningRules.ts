// The appliance's hardening rules for docker-compose.yml as a whole, as pure functions over the parsed
// file: every service meets serviceRules.ts, secrets are declared and come from files, and the services
// that hold data exist. hardeningCheck.ts runs them with dockerfileRules.ts; each finding names the
// service, the rule and what to change.
import { asList, asMap, text, type YamlMap, type YamlNode } from './composeYaml.ts';
import { checkService } from './serviceRules.ts';

export interface Finding {
  where: string;
  rule: string;
  message: string;
  line?: number;
  /** The file of the finding's line, when it is an override's (compose/offsite/*.yml). */
  file?: string;
}

/** Services that hold data, scan files or count visitors: internal networks only, nothing published. */
export const INTERNAL_ONLY = ['db', 'clamav', 'redis'];
/** Secrets the appliance must take from files (database, session, TLS key, backup keys). */
export const REQUIRED_SECRETS = [
  'db_password',
  'db_ops_password',
  'secret_key',
  'tls_cert',
  'tls_key',
  'backup_public_key',
  'backup_signing_key',
  'redis_password',
];

export function checkCompose(root: YamlNode, file: string): Finding[] {
  const findings: Finding[] = [];
  const top = asMap(root);
  const services = asMap(top?.get('services'));
  if (!top || !services || services.size === 0) {
    return [{ where: file, rule: 'services', message: 'no services found' }];
  }
  const networks: YamlMap = asMap(top.get('networks')) ?? new Map<string, YamlNode>();
  const secrets: YamlMap = asMap(top.get('secrets')) ?? new Map<string, YamlNode>();

  for (const [name, node] of services) {
    const service = asMap(node);
    const report = (rule: string, message: string, at?: YamlNode) => {
      const file = at ? at.file : node.file;
      findings.push({
        where: `service "${name}"`,
        rule,
        message,
        line: at?.line ?? node.line,
        ...(file ? { file } : {}),
      });
    };
    if (!service) {
      report('services', 'is not a mapping');
      continue;
    }
    checkService(name, service, networks, report);
    for (const secret of asList(service.get('secrets'))) {
      const secretName = text(asMap(secret)?.get('source') ?? secret);
      if (!secrets.has(secretName))
        report('secrets-from-files', `uses secret "${secretName}", which is not declared`, secret);
    }
  }
  for (const [name, node] of secrets) {
    if (!asMap(node)?.has('file')) {
      findings.push({
        where: `secret "${name}"`,
        rule: 'secrets-from-files',
        message: 'must come from a file ("file:")',
        line: node.line,
        ...(node.file ? { file: node.file } : {}),
      });
    }
  }
  for (const name of REQUIRED_SECRETS) {
    if (!secrets.has(name)) {
      findings.push({
        where: `secret "${name}"`,
        rule: 'secrets-from-files',
        message: 'is missing: it must be a Compose secret from a file',
      });
    }
  }
  for (const name of INTERNAL_ONLY) {
    if (!services.has(name))
      findings.push({
        where: `service "${name}"`,
        rule: 'internal-network',
        message: 'is missing',
      });
  }
  return findings;
}
