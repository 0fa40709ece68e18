/**
 * Text as a column will store it: well-formed UTF-16 (a lone surrogate would come back as U+FFFD
 * and break a hash over it) and cut at `max` characters, never inside a character.
 */
export function columnText(value: string, max: number): string {
  const text = value.toWellFormed();
  if (text.length <= max) return text;
  return Array.from(text).slice(0, max).join('');
}
