import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { caCert } from '../harness/parley.ts';

// The Prometheus text format as a scraper reads it, for the metrics tests (issue 15).

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  types: Map<string, string>;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the whole text; throws on a line that is neither a comment nor a sample. */
export function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(LABEL)) labels[key!] = value!;
    // As Prometheus reads a value (Go's ParseFloat): NaN and Inf in any case (prom-client writes Nan).
    const raw = match[3]!.toLowerCase();
    const infinite = /^([+-]?)inf$/.exec(raw);
    const value =
      raw === 'nan' ? NaN : infinite ? (infinite[1] === '-' ? -1 : 1) * Infinity : Number(raw);
    if (Number.isNaN(value) && raw !== 'nan') throw new Error(`not a number: ${line}`);
    samples.push({ name: match[1]!, labels, value });
  }
  return { types, samples };
}

/** The one sample of `name` whose labels include `labels`; undefined when there is none. */
export function valueOf(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return exposition.samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  )?.value;
}

/** A metrics token in a file of its own, as PARLEY_METRICS_TOKEN_FILE names it. */
export function tokenFile(): { token: string; path: string } {
  const token = randomBytes(24).toString('base64url');
  const path = join(mkdtempSync(join(tmpdir(), 'parley-metrics-token-')), 'token');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return { token, path };
}

export function metricsClient(port: number) {
  return request.agent(`https://127.0.0.1:${port}`, { ca: caCert() });
}
