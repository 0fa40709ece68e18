import { ALERT_CONDITIONS, type AlertCondition } from './alerts.ts';
import type { Readings } from './readings.ts';

// `make status` in words (issue 15): every condition of alerts.ts over readings taken directly,
// one line each. A growth condition needs a second reading; it is taken only when the first one
// shows something that could have grown, so a healthy status answers at once.

export interface ConditionResult {
  condition: AlertCondition;
  firing: boolean;
  detail: string;
}

export function evaluateConditions(
  now: Readings,
  before: Readings | null,
  conditions: AlertCondition[] = ALERT_CONDITIONS,
): ConditionResult[] {
  return conditions.map((condition) => {
    const firing = condition.fires(now, before);
    return { condition, firing, detail: firing ? (condition.detail?.(now) ?? '') : '' };
  });
}

/** Whether a growth condition could fire: a counter is above 0 (from 0 it has not grown yet). */
export function needsSecondReading(first: Readings): boolean {
  return (first.replication?.semiSync.unacknowledgedCommits ?? 0) > 0;
}

export function conditionLines(results: ConditionResult[]): string[] {
  return results.map(({ condition, firing, detail }) =>
    firing
      ? `  ALERT  ${condition.sentence}${detail ? ` (${detail})` : ''}`
      : `  OK     ${condition.title}`,
  );
}
