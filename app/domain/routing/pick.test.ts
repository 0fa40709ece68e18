import { describe, expect, it } from 'vitest';
import { capacityOf, capacitySource, DEFAULT_CAPACITY } from './pick.ts';

// How many chats routing lets an agent hold (issue 14): own limit, then the smaller of the role's
// and the department's defaults, then the global default, then 3.

const none = { role: null, department: null, global: null };
const own = new Map([[7, 5]]);
const nobody = new Map<number, number>();

describe('capacityOf', () => {
  it("lets the agent's own limit win over every default, lower or higher", () => {
    expect(capacityOf(7, own, { role: 1, department: 2, global: 9 })).toBe(5);
    expect(capacityOf(7, own, { role: 20, department: 30, global: 1 })).toBe(5);
    // Another agent's limit is not theirs.
    expect(capacityOf(8, own, { role: 2, department: null, global: null })).toBe(2);
  });

  it('takes the smaller of the role and department defaults when both are set', () => {
    expect(capacityOf(8, nobody, { role: 1, department: 3, global: 9 })).toBe(1);
    expect(capacityOf(8, nobody, { role: 4, department: 2, global: 1 })).toBe(2);
    expect(capacityOf(8, nobody, { role: 2, department: 2, global: null })).toBe(2);
  });

  it('takes the role or the department default alone when only one is set, over the global one', () => {
    expect(capacityOf(8, nobody, { role: 6, department: null, global: 2 })).toBe(6);
    expect(capacityOf(8, nobody, { role: null, department: 4, global: 9 })).toBe(4);
  });

  it('falls back to the global default, then to 3', () => {
    expect(capacityOf(8, nobody, { ...none, global: 7 })).toBe(7);
    expect(capacityOf(8, nobody, none)).toBe(DEFAULT_CAPACITY);
    expect(DEFAULT_CAPACITY).toBe(3);
  });
});

describe('capacitySource', () => {
  it('names what sets an agent’s capacity outside a department with its own default', () => {
    expect(capacitySource(2, 1, 9)).toEqual({ capacity: 2, source: 'own' });
    expect(capacitySource(null, 1, 9)).toEqual({ capacity: 1, source: 'role' });
    expect(capacitySource(null, null, 9)).toEqual({ capacity: 9, source: 'global' });
    expect(capacitySource(null, null, null)).toEqual({ capacity: 3, source: 'built_in' });
  });

  it('agrees with capacityOf when the department has no default', () => {
    for (const own of [null, 2])
      for (const role of [null, 5])
        for (const global of [null, 7]) {
          const overrides = new Map(own === null ? [] : [[1, own]]);
          expect(capacitySource(own, role, global).capacity).toBe(
            capacityOf(1, overrides, { role, department: null, global }),
          );
        }
  });
});
