// `make hardening-check` (CI): reads docker-compose.yml and the Dockerfiles under compose/, and fails
// naming the service (or Dockerfile) and the rule for every hardening rule that is not met.
//   node ops/appliance/hardeningCheck.ts [docker-compose.yml] [--dockerfiles DIR]
// DIR defaults to compose/ beside the compose file; Dockerfiles are skipped when it does not exist.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { parseYaml, YamlError } from './composeYaml.ts';
import { checkDockerfile } from './dockerfileRules.ts';
import { checkCompose, type Finding } from './hardeningRules.ts';

export function findDockerfiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'Dockerfile')))
    .map((entry) => join(dir, entry.name, 'Dockerfile'))
    .sort();
}

export function runChecks(composeFile: string, dockerfiles: string[]): Finding[] {
  const findings: Finding[] = [];
  try {
    findings.push(...checkCompose(parseYaml(readFileSync(composeFile, 'utf8')), composeFile));
  } catch (error) {
    if (!(error instanceof YamlError)) throw error;
    findings.push({ where: composeFile, rule: 'yaml', message: error.message });
  }
  for (const file of dockerfiles)
    findings.push(...checkDockerfile(readFileSync(file, 'utf8'), file));
  return findings;
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { dockerfiles: { type: 'string' } },
});
const composeFile = positionals[0] ?? 'docker-compose.yml';
if (!existsSync(composeFile)) {
  console.error(`hardening-check: ${composeFile}: no such file`);
  process.exit(2);
}
const dockerfiles = findDockerfiles(values.dockerfiles ?? join(dirname(composeFile), 'compose'));
const findings = runChecks(composeFile, dockerfiles);
const shown = (file: string) => {
  const path = relative(process.cwd(), file);
  return path === '' || path.startsWith('..') ? file : path;
};
for (const { where, rule, message, line } of findings) {
  const location = line ? `${shown(composeFile)}:${line}` : shown(composeFile);
  const subject = where.includes('Dockerfile')
    ? `${shown(where)}${line ? `:${line}` : ''}`
    : `${location}: ${where}`;
  console.error(`hardening-check: ${subject}: [${rule}] ${message}`);
}
if (findings.length > 0) {
  console.error(`hardening-check: ${findings.length} problem(s)`);
  process.exitCode = 1;
} else {
  console.log(
    `hardening-check: ${shown(composeFile)} and ${dockerfiles.length} Dockerfile(s) meet every hardening rule`,
  );
}
