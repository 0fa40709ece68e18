// `make hardening-check` (CI): reads docker-compose.yml, the overrides the make targets add to it (the
// offsite targets' compose/offsite/*.yml, a DR pair's compose/dr.yml) and the Dockerfiles under
// compose/, and fails naming the service (or Dockerfile) and the rule for every hardening rule that is
// not met. The compose rules run on the file alone and on the file with every override applied.
//   node ops/appliance/hardeningCheck.ts [docker-compose.yml] [--dockerfiles DIR] [--overrides DIR]
// DIR defaults to compose/ (compose/offsite/, and then compose/dr.yml too) beside the compose file.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { mergeCompose, parseYaml, YamlError, type YamlNode } from './composeYaml.ts';
import { checkDockerfile } from './dockerfileRules.ts';
import { checkCompose, type Finding } from './hardeningRules.ts';

export function findDockerfiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(dir, entry.name, 'Dockerfile')))
    .map((entry) => join(dir, entry.name, 'Dockerfile'))
    .sort();
}

export function findOverrides(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.yml'))
    .map((name) => join(dir, name))
    .sort();
}

export function runChecks(
  composeFile: string,
  dockerfiles: string[],
  overrides: string[] = [],
): Finding[] {
  const findings: Finding[] = [];
  const read = (file: string, tag?: string): YamlNode | null => {
    try {
      return parseYaml(readFileSync(file, 'utf8'), tag);
    } catch (error) {
      if (!(error instanceof YamlError)) throw error;
      findings.push({ where: file, rule: 'yaml', message: error.message });
      return null;
    }
  };
  const base = read(composeFile);
  if (base) {
    findings.push(...checkCompose(base, composeFile));
    const parts = overrides.map((file) => read(file, file));
    if (overrides.length > 0 && parts.every((part): part is YamlNode => part !== null)) {
      const merged = parts.reduce(mergeCompose, base);
      const seen = new Set(findings.map((f) => JSON.stringify(f)));
      findings.push(
        ...checkCompose(merged, composeFile).filter((f) => !seen.has(JSON.stringify(f))),
      );
    }
  }
  for (const file of dockerfiles)
    findings.push(...checkDockerfile(readFileSync(file, 'utf8'), file));
  return findings;
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { dockerfiles: { type: 'string' }, overrides: { type: 'string' } },
});
const composeFile = positionals[0] ?? 'docker-compose.yml';
if (!existsSync(composeFile)) {
  console.error(`hardening-check: ${composeFile}: no such file`);
  process.exit(2);
}
const dockerfiles = findDockerfiles(values.dockerfiles ?? join(dirname(composeFile), 'compose'));
// The offsite targets' overrides and a DR pair's (compose/dr.yml), all applied at once.
const drOverride = join(dirname(composeFile), 'compose', 'dr.yml');
const overrides = [
  ...findOverrides(values.overrides ?? join(dirname(composeFile), 'compose', 'offsite')),
  ...(values.overrides === undefined && existsSync(drOverride) ? [drOverride] : []),
];
const findings = runChecks(composeFile, dockerfiles, overrides);
const shown = (file: string) => {
  const path = relative(process.cwd(), file);
  return path === '' || path.startsWith('..') ? file : path;
};
for (const { where, rule, message, line, file } of findings) {
  const location = `${shown(file ?? composeFile)}${line ? `:${line}` : ''}`;
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
    `hardening-check: ${shown(composeFile)} (alone and with ${overrides.length} override(s)) and ${dockerfiles.length} Dockerfile(s) meet every hardening rule`,
  );
}
