import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALERT_CONDITIONS, DISK_MIN_BYTES } from '../../app/domain/monitoring/alerts.ts';
import { evaluateConditions } from '../../app/domain/monitoring/conditions.ts';
import type { Readings } from '../../app/domain/monitoring/readings.ts';
import { parleyMetrics } from '../../app/metrics/registry.ts';
import { ALERT_RULES_FILE, alertRulesYaml } from '../../ops/alertRules.ts';
import { AT, SCENARIOS, type Scenario } from './scenarios.ts';

// Issue 15: the alert conditions are defined once (app/domain/monitoring/alerts.ts). The committed
// Prometheus rules are generated from them, and Prometheus's own rule tester (promtool, Debian's
// `prometheus` package) must fire exactly the alerts that `make status` reports for each scenario.

const firing = (s: Scenario) =>
  evaluateConditions(s.now, s.before ?? null)
    .filter((r) => r.firing)
    .map((r) => r.condition.name);

describe('the alert conditions in words (make status)', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    expect(firing(scenario).sort()).toEqual([...scenario.fires].sort());
  });

  it('name every condition once, and every condition is exercised by a scenario', () => {
    const names = ALERT_CONDITIONS.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    const exercised = new Set(SCENARIOS.flatMap((s) => s.fires));
    for (const name of names) expect(exercised.has(name), name).toBe(true);
  });
});

describe('compose/prometheus/parley-alerts.yml', () => {
  it('is what `make alert-rules` writes from the conditions (run it after changing them)', () => {
    expect(readFileSync(ALERT_RULES_FILE, 'utf8')).toBe(alertRulesYaml());
  });
});

// Debian's prometheus package, which `make deps` installs (ops/dev/install-deps.sh), brings promtool.
const promtool = spawnSync('promtool', ['--version']).status === 0;
const work = mkdtempSync(join(tmpdir(), 'parley-alert-rules-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const STEP_MINUTES = 5; // a scrape every 5 minutes (Prometheus looks back 5 minutes for a sample)
const EVAL_MINUTES = 15; // rules evaluated every 15 minutes: two evaluations satisfy any `for` here
const SAMPLES = AT / 60_000 / STEP_MINUTES; // from 0 to AT
const RAMP = 6; // a counter that grew did so over its last 6 scrapes (30 minutes)
const LABELS = { job: 'parley', instance: 'parley-1' };
const used = (name: string) => ALERT_CONDITIONS.some((c) => c.expr.includes(name));

/** The endpoint's series for a reading, as Prometheus would have scraped them since time 0. */
async function series(scenario: Scenario): Promise<{ series: string; values: string }[]> {
  const sample = async (r: Readings) => {
    const metrics = parleyMetrics(() => Promise.resolve(r), 0);
    await metrics.refresh();
    const out = new Map<string, number>();
    for (const metric of await metrics.registry.getMetricsAsJSON()) {
      if (!used(metric.name)) continue;
      for (const { labels, value } of metric.values) {
        const all = { ...LABELS, ...labels };
        const text = Object.entries(all).map(([k, v]) => `${k}="${String(v)}"`);
        if (!Number.isNaN(value)) out.set(`${metric.name}{${text.join(',')}}`, value);
      }
    }
    return out;
  };
  const now = await sample(scenario.now);
  const before = scenario.before ? await sample(scenario.before) : now;
  const list = [...now].map(([name, value]) => {
    const from = before.get(name) ?? value;
    const step = (value - from) / (RAMP + 1);
    return {
      series: name,
      // Constant; or the earlier value, then a steady climb to this one by AT (a counter that grew).
      values:
        step === 0
          ? `${value}x${SAMPLES}`
          : `${from}x${SAMPLES - RAMP - 1} ${from + step}+${step}x${RAMP}`,
    };
  });
  list.push({ series: `up{job="parley",instance="parley-1"}`, values: `1x${SAMPLES}` });
  return list;
}

function expectedAlerts(scenario: Scenario, name: string) {
  if (!scenario.fires.includes(name)) return [];
  const condition = ALERT_CONDITIONS.find((c) => c.name === name)!;
  const labels = { severity: condition.severity, ...LABELS };
  const annotations = {
    summary: condition.sentence.split(':')[0],
    description: condition.sentence,
  };
  if (name !== 'ParleyDiskLow') return [{ exp_labels: labels, exp_annotations: annotations }];
  return scenario.now.disks
    .filter((d) => d.freeBytes < DISK_MIN_BYTES || d.freeBytes < d.sizeBytes / 10)
    .map((d) => ({ exp_labels: { ...labels, volume: d.volume }, exp_annotations: annotations }));
}

describe('Prometheus (promtool) and make status agree', () => {
  it('has promtool (make deps installs Debian prometheus)', () => {
    expect(promtool, 'promtool is missing: run make deps').toBe(true);
  });

  it('the rules file is valid Prometheus rules', () => {
    expect(execFileSync('promtool', ['check', 'rules', ALERT_RULES_FILE]).toString()).toContain(
      `SUCCESS: ${ALERT_CONDITIONS.length} rules found`,
    );
  });

  it('fires, for every scenario, exactly the alerts make status reports', async () => {
    const tests = [];
    for (const scenario of SCENARIOS) {
      tests.push({
        name: scenario.name,
        interval: `${STEP_MINUTES}m`,
        input_series: await series(scenario),
        alert_rule_test: ALERT_CONDITIONS.map((c) => ({
          eval_time: `${AT / 1000}s`,
          alertname: c.name,
          exp_alerts: expectedAlerts(scenario, c.name),
        })),
      });
    }
    const file = join(work, 'parley-alerts.test.yml');
    // JSON is YAML: promtool reads it as its test format.
    writeFileSync(
      file,
      JSON.stringify({
        rule_files: [ALERT_RULES_FILE],
        evaluation_interval: `${EVAL_MINUTES}m`,
        tests,
      }),
    );
    const run = spawnSync('promtool', ['test', 'rules', file], { encoding: 'utf8' });
    expect(run.stdout + run.stderr).toContain('SUCCESS');
    expect(run.status).toBe(0);
  }, 120_000);
});
