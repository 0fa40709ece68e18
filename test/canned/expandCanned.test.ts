import { describe, expect, it } from 'vitest';
import {
  expandCanned,
  insertCanned,
  matchCanned,
  normaliseShortcut,
  shortcutAt,
  SHORTCUT_PATTERN,
} from '../../app/shared/cannedMessages.ts';

// The pure part of canned messages (issue 14), used by the console's composer as it is here.

describe('expandCanned', () => {
  const full = { visitorName: 'Ada', agentName: 'Ann Agent', departmentName: 'Cards' };

  it('fills every variable', () => {
    expect(expandCanned('Hi {visitor.name}, I am {agent.name} from {department.name}.', full)).toBe(
      'Hi Ada, I am Ann Agent from Cards.',
    );
  });

  it('takes the fallback when a value is empty, missing or blank, and the value when present', () => {
    const text = 'Hello {visitor.name|there}, {department.name|our team} here.';
    expect(expandCanned(text, {})).toBe('Hello there, our team here.');
    expect(expandCanned(text, { visitorName: '  ', departmentName: null })).toBe(
      'Hello there, our team here.',
    );
    expect(expandCanned(text, { visitorName: 'Ada', departmentName: 'Loans' })).toBe(
      'Hello Ada, Loans here.',
    );
  });

  it('leaves nothing for an empty value without a fallback, and keeps an empty fallback empty', () => {
    expect(expandCanned('[{visitor.name}]', {})).toBe('[]');
    expect(expandCanned('[{visitor.name|}]', { visitorName: '' })).toBe('[]');
  });

  it('fills a variable used twice, and leaves unknown braces as typed', () => {
    expect(expandCanned('{agent.name}/{agent.name} {unknown} {visitor.email|x}', full)).toBe(
      'Ann Agent/Ann Agent {unknown} {visitor.email|x}',
    );
  });

  it('does not interpret a value as a variable (no second pass)', () => {
    expect(expandCanned('{visitor.name}', { visitorName: '{agent.name}', agentName: 'Ann' })).toBe(
      '{agent.name}',
    );
  });
});

describe('shortcuts', () => {
  it('finds the #shortcut being typed before the caret, only at a word start', () => {
    expect(shortcutAt('#gr', 3)).toEqual({ start: 0, query: 'gr' });
    expect(shortcutAt('Hi #Greet', 9)).toEqual({ start: 3, query: 'greet' });
    expect(shortcutAt('#', 1)).toEqual({ start: 0, query: '' });
    expect(shortcutAt('issue#12', 8)).toBeNull();
    expect(shortcutAt('#greet now', 10)).toBeNull();
    expect(shortcutAt('#greet now', 6)).toEqual({ start: 0, query: 'greet' });
  });

  it('accepts letters, digits, - and _ only, lower-cased and without the #', () => {
    expect(normaliseShortcut(' #Greet ')).toBe('greet');
    for (const good of ['greet', 'card-lost_2', 'grüße'])
      expect(SHORTCUT_PATTERN.test(good)).toBe(true);
    for (const bad of ['', 'with space', 'semi;colon', 'x'.repeat(33), '#hash'])
      expect(SHORTCUT_PATTERN.test(bad)).toBe(false);
  });

  it('matches by shortcut prefix first, then inside the shortcut or the title', () => {
    const list = [
      { shortcut: 'bye', title: 'Greeting at the end' },
      { shortcut: 'greet', title: 'Hello' },
      { shortcut: 'regreet', title: 'Again' },
      { shortcut: 'lost', title: 'Card lost' },
    ];
    expect(matchCanned(list, 'gre').map((m) => m.shortcut)).toEqual(['greet', 'regreet', 'bye']);
    expect(matchCanned(list, 'CARD').map((m) => m.shortcut)).toEqual(['lost']);
    expect(matchCanned(list, '').map((m) => m.shortcut)).toEqual([
      'bye',
      'greet',
      'lost',
      'regreet',
    ]);
    expect(matchCanned(list, 'zzz')).toEqual([]);
  });

  it('replaces the typed #query with the text and puts the caret after it', () => {
    expect(insertCanned('Hi #gre and', 3, 7, 'Hello Ada')).toEqual({
      text: 'Hi Hello Ada and',
      caret: 12,
    });
  });
});
