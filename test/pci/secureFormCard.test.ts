import { describe, expect, it } from 'vitest';
import { checkCard, normalizedCard } from '../../ui/shared/secureFormCard.ts';

const NOW = new Date('2026-11-22T12:00:00Z');
const good = { number: '4111 1111 1111 1111', expiry: '11/26', name: 'Ada Lovelace', cvc: '123' };

describe('the secure form checks what the visitor typed before encrypting it', () => {
  it('accepts a valid card, this month or later', () => {
    expect(checkCard(good, NOW)).toEqual({});
    expect(
      checkCard({ ...good, number: '3782-822463-10005', cvc: '1234', expiry: '01/2030' }, NOW),
    ).toEqual({});
  });

  it.each([
    [{ number: '4111 1111 1111 1112' }, 'number'],
    [{ number: '1234567890123' }, 'number'],
    [{ number: '4111x1111' }, 'number'],
    [{ expiry: '10/26' }, 'expiry'],
    [{ expiry: '13/30' }, 'expiry'],
    [{ expiry: '1130' }, 'expiry'],
    [{ expiry: '11/99' }, 'expiry'],
    [{ cvc: '12' }, 'cvc'],
    [{ cvc: '1234' }, 'cvc'],
    [{ number: '378282246310005', cvc: '123' }, 'cvc'],
    [{ name: ' ' }, 'name'],
  ])('rejects %o (%s)', (change, field) => {
    expect(Object.keys(checkCard({ ...good, ...change }, NOW))).toEqual([field]);
  });

  it('sends digits only', () => {
    expect(normalizedCard({ ...good, name: ' Ada ' })).toEqual({
      number: '4111111111111111',
      expiry: '11/26',
      name: 'Ada',
      cvc: '123',
    });
  });
});
