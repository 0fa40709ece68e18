import { describe, expect, it } from 'vitest';
import { normaliseAddress, parseCidr } from '../../app/shared/cidr.ts';
import { compileRules, evaluate, evaluateGlobal } from '../../app/domain/ipRules/policy.ts';
import type { IpRuleScope } from '../../app/storage/ipRules.ts';

describe('CIDR parsing', () => {
  it('writes ranges and single addresses one canonical way', () => {
    const cidr = (text: string) => {
      const parsed = parseCidr(text);
      return parsed.ok ? parsed.cidr : parsed.problem;
    };
    expect(cidr('10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(cidr(' 203.0.113.7 ')).toBe('203.0.113.7/32');
    expect(cidr('2001:DB8:0::/32')).toBe('2001:db8::/32');
    expect(cidr('2001:db8::1')).toBe('2001:db8::1/128');
    expect(cidr('::ffff:10.0.0.0/104')).toBe('10.0.0.0/8');
    expect(cidr('0.0.0.0/0')).toBe('0.0.0.0/0');
    expect(cidr('::/0')).toBe('::/0');
  });

  it('refuses host bits, bad prefixes and anything that is not an address, saying why', () => {
    const problem = (text: string) => {
      const parsed = parseCidr(text);
      return parsed.ok ? `accepted as ${parsed.cidr}` : parsed.problem;
    };
    expect(problem('10.0.0.1/8')).toBe(
      '"10.0.0.1/8" has host bits set: write 10.0.0.0/8 for the range or 10.0.0.1/32 for the one address',
    );
    expect(problem('2001:db8::1/32')).toMatch(/write 2001:db8::\/32 for the range/);
    expect(problem('10.0.0.0/33')).toMatch(/prefix length after \/ must be 0 to 32/);
    expect(problem('2001:db8::/129')).toMatch(/0 to 128/);
    expect(problem('10.0.0.0/')).toMatch(/prefix length/);
    expect(problem('10.0.0.0/-1')).toMatch(/prefix length/);
    expect(problem('10.0.0/8')).toMatch(/not an IPv4 or IPv6 address/);
    expect(problem('010.0.0.0/8')).toMatch(/not an IPv4 or IPv6 address/);
    expect(problem('example.com')).toMatch(/not an IPv4 or IPv6 address/);
    expect(problem('fe80::1%eth0/128')).toMatch(/not an IPv4 or IPv6 address/);
    expect(problem('::ffff:10.0.0.0/64')).toMatch(/IPv4-mapped/);
  });

  it('normalises addresses', () => {
    expect(normaliseAddress('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(normaliseAddress('2001:0DB8::0001')).toBe('2001:db8::1');
    expect(normaliseAddress('192.0.2')).toBeNull();
  });
});

describe('allow-list semantics', () => {
  const rule = (scope: IpRuleScope, cidr: string, who: string | number | null = null) => ({
    scope,
    role: scope === 'role' ? (who as string) : null,
    agent_id: scope === 'agent' ? (who as number) : null,
    cidr,
  });
  const ann = { agentId: 1, role: 'agent' };
  const bob = { agentId: 2, role: 'admin' };

  it('allows everything when there are no rules', () => {
    const rules = compileRules([]);
    expect(evaluate(rules, ann, '198.51.100.1')).toEqual({ allowed: true });
    expect(evaluate(rules, ann, 'unknown')).toEqual({ allowed: true });
  });

  it('requires every level that has entries: global AND role AND agent', () => {
    const rules = compileRules([
      rule('global', '10.0.0.0/8'),
      rule('global', '2001:db8::/32'),
      rule('role', '10.1.0.0/16', 'agent'),
      rule('agent', '10.1.2.0/24', 1),
    ]);
    expect(evaluate(rules, ann, '10.1.2.3')).toEqual({ allowed: true });
    expect(evaluate(rules, ann, '10.1.3.3')).toEqual({ allowed: false, level: 'agent' });
    expect(evaluate(rules, ann, '10.2.0.1')).toEqual({ allowed: false, level: 'role' });
    expect(evaluate(rules, ann, '192.0.2.1')).toEqual({ allowed: false, level: 'global' });
    // Bob's role and Bob himself have no list: only the global one applies.
    expect(evaluate(rules, bob, '10.200.0.1')).toEqual({ allowed: true });
    expect(evaluate(rules, bob, '2001:db8:1::1')).toEqual({ allowed: true });
    expect(evaluate(rules, bob, '2001:db9::1')).toEqual({ allowed: false, level: 'global' });
    expect(evaluate(rules, bob, 'unknown')).toEqual({ allowed: false, level: 'global' });
  });

  it('never matches IPv4 against IPv6 ranges, and mapped addresses as IPv4', () => {
    const rules = compileRules([rule('global', '::/0')]);
    expect(evaluateGlobal(rules, '192.0.2.1')).toEqual({ allowed: false, level: 'global' });
    const v4 = compileRules([rule('global', '192.0.2.0/24')]);
    expect(evaluateGlobal(v4, normaliseAddress('::ffff:192.0.2.1')!)).toEqual({ allowed: true });
  });

  it('treats a stored entry that no longer parses as matching nothing (fails closed)', () => {
    const rules = compileRules([rule('global', 'garbage')]);
    expect(evaluateGlobal(rules, '192.0.2.1')).toEqual({ allowed: false, level: 'global' });
  });
});
