import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import type { PhaseResult, PhaseSpec } from './load.ts';
import type { Usage } from './probe.ts';
import { ratio, table } from './stats.ts';

export interface Measured extends PhaseResult {
  /** Fixed-rate phases: whether the offered rate was carried (see keptUp). */
  keptUp: boolean | null;
  usage: Usage;
}

export interface TargetRun {
  target: 'parley' | 'bare';
  setupMs: number;
  phases: Measured[];
}

export interface PhaseRatio {
  phase: string;
  /** Parley delivered/s ÷ bare delivered/s. */
  throughput: number | null;
  /** Parley ÷ bare, delivery latency. */
  p50: number | null;
  p99: number | null;
}

/** Whether a fixed-rate phase delivered (nearly) all it offered, with nothing skipped. */
export function keptUp(result: PhaseResult): boolean | null {
  if (result.load.kind !== 'rate') return null;
  return result.counts.skipped === 0 && result.deliveredPerSec >= 0.95 * result.load.rate;
}

export function ratios(parley: TargetRun, bare: TargetRun): PhaseRatio[] {
  return parley.phases.map((p, i) => {
    const b = bare.phases[i]!;
    return {
      phase: p.name,
      throughput: ratio(p.deliveredPerSec, b.deliveredPerSec),
      p50: ratio(p.delivery.p50, b.delivery.p50),
      p99: ratio(p.delivery.p99, b.delivery.p99),
    };
  });
}

const rounded = (n: number) => Math.round(n);

function targetTable(run: TargetRun): string {
  const rows = run.phases.map((p) => [
    p.name,
    p.load.kind === 'rate' ? p.load.rate : 'closed',
    rounded(p.sentPerSec),
    rounded(p.ackedPerSec),
    rounded(p.deliveredPerSec),
    p.delivery.p50,
    p.delivery.p99,
    p.ack.p99,
    p.counts.lost + p.counts.duplicates,
    p.counts.skipped,
    Object.entries(p.usage.cpuPercent)
      .map(([name, pct]) => `${name} ${pct}%`)
      .join(' '),
  ]);
  const header = ['phase', 'offered/s', 'sent/s', 'acked/s', 'delivered/s', 'p50 ms', 'p99 ms'];
  return table([...header, 'ack p99', 'lost+dup', 'skipped', 'cpu (100% = 1 core)'], rows);
}

/** The readable report for stdout. */
export function render(runs: TargetRun[], phaseRatios: PhaseRatio[], specs: PhaseSpec[]): string {
  const out: string[] = [];
  for (const run of runs) {
    out.push(`\n${run.target === 'parley' ? 'Parley (persisted)' : 'Bare Socket.IO relay'}`);
    out.push(`  setup (200 chats connected and accepted): ${(run.setupMs / 1000).toFixed(1)} s`);
    out.push(targetTable(run));
    for (const p of run.phases) {
      const errors = Object.entries(p.counts.ackErrors);
      if (p.keptUp === false) {
        out.push(
          `  ${p.name}: could not keep up — ${rounded(p.deliveredPerSec)}/s delivered, ` +
            `${p.counts.skipped} sends skipped at the in-flight limit`,
        );
      }
      if (errors.length > 0)
        out.push(`  ${p.name}: error acks ${JSON.stringify(p.counts.ackErrors)}`);
      if (p.counts.lost + p.counts.duplicates > 0) {
        out.push(
          `  ${p.name}: LOSS — ${p.counts.lost} lost, ${p.counts.duplicates} duplicated, ` +
            `${p.counts.unacked} unacknowledged when the drain ended`,
        );
      }
      const db = Object.entries(p.usage.dbPerMessage);
      if (db.length > 0) {
        out.push(`  ${p.name}: MariaDB per message: ${db.map(([k, v]) => `${k} ${v}`).join(', ')}`);
      }
    }
  }
  out.push('\nParley / bare (throughput: higher is better, ≤ 1; latency: lower is better, ≥ 1)');
  out.push(
    table(
      ['phase', 'throughput', 'p50 latency', 'p99 latency'],
      phaseRatios.map((r) => [r.phase, r.throughput, r.p50, r.p99]),
    ),
  );
  const window = specs.find((s) => s.load.kind === 'window');
  if (window) out.push(`(max = closed loop, ${window.name}; latency there is queueing, not speed)`);
  return out.join('\n');
}

/** Writes the JSON atomically: a temporary name, renamed when complete. */
export function writeJson(dir: string, name: string, data: unknown): string {
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/${name}`;
  writeFileSync(`${path}.tmp`, `${JSON.stringify(data, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return path;
}
