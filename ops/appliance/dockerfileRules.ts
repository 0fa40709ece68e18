// Section 4 of the CIS Docker Benchmark for Parley's Dockerfiles: every stage FROM the one Debian base
// (or an earlier stage), a non-root USER, COPY rather than ADD, lean apt layers, no downloads.
import type { Finding } from './hardeningRules.ts';

/** Section 4 rules for one Dockerfile: the one base, a non-root user, COPY not ADD, lean apt layers. */
export function checkDockerfile(source: string, file: string): Finding[] {
  const findings: Finding[] = [];
  const report = (rule: string, message: string, line?: number) =>
    findings.push({ where: file, rule, message, line });
  // Join continuation lines, remembering where each instruction starts.
  const instructions: { line: number; text: string }[] = [];
  let current: { line: number; text: string } | null = null;
  source.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (!current && (trimmed === '' || trimmed.startsWith('#'))) return;
    current = current
      ? { ...current, text: `${current.text} ${trimmed}` }
      : { line: index + 1, text: trimmed };
    if (current.text.endsWith('\\')) current.text = current.text.slice(0, -1);
    else {
      instructions.push(current);
      current = null;
    }
  });

  const stages: string[] = [];
  let lastUser = '';
  for (const { line, text: instruction } of instructions) {
    const [keyword = '', ...rest] = instruction.split(/\s+/);
    const args = rest.join(' ');
    switch (keyword.toUpperCase()) {
      case 'FROM': {
        const [image = '', , alias] = rest;
        if (image !== '${BASE_IMAGE}' && !stages.includes(image)) {
          report(
            'dockerfile-base',
            `FROM ${image}: every stage starts FROM \${BASE_IMAGE} (the one Debian base) or an earlier stage`,
            line,
          );
        }
        if (alias) stages.push(alias);
        lastUser = '';
        break;
      }
      case 'USER':
        lastUser = args;
        break;
      case 'ADD':
        report('dockerfile-copy', 'use COPY, not ADD (CIS 4.9)', line);
        break;
      case 'RUN':
        if (/apt-get\s+install/.test(args)) {
          if (!args.includes('--no-install-recommends'))
            report('dockerfile-apt', 'apt-get install needs --no-install-recommends', line);
          if (!args.includes('rm -rf /var/lib/apt/lists'))
            report(
              'dockerfile-apt',
              'remove /var/lib/apt/lists in the same RUN (no package caches in layers)',
              line,
            );
          if (!/apt-get\s+update/.test(args))
            report(
              'dockerfile-apt',
              'run apt-get update in the same RUN as install (CIS 4.7)',
              line,
            );
        }
        if (/\b(curl|wget)\b|https?:\/\//.test(args)) {
          report(
            'dockerfile-no-download',
            'no downloads in the build: packages come from Debian, Node from npm via the staging context',
            line,
          );
        }
        break;
    }
  }
  if (!instructions.some((i) => /^ARG\s+BASE_IMAGE\b/.test(i.text)))
    report('dockerfile-base', 'declare ARG BASE_IMAGE');
  if (lastUser === '' || /^(root|0)(:|$)/.test(lastUser))
    report('dockerfile-user', 'the final stage must set USER to a non-root account (CIS 4.1)');
  return findings;
}
