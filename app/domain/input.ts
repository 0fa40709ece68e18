import type { z } from 'zod';
import { errors } from './errors.ts';

// What any transport does with what a client sent, before a rule sees it.

/** One line per problem, naming the field: what a person needs to fix the request. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : 'body'}: ${issue.message}`)
    .join('; ');
}

// The size and depth of a parsed payload (socket event or JSON body), measured without recursion:
// a payload nested thousands of levels deep under the size limit made JSON.stringify overflow the
// stack, which answered `internal` and logged an error for each packet (issue 12).

/** Deeper than any payload Parley accepts (the deepest schema nests three levels). */
export const MAX_PAYLOAD_DEPTH = 32;

/**
 * Throws `payload_too_large` when the payload's JSON text would exceed `maxBytes`, and
 * `invalid_input` when it nests deeper than `maxDepth`. Stops as soon as either is certain, so a
 * hostile payload costs at most `maxBytes` worth of walking.
 */
export function checkPayloadShape(
  payload: unknown,
  maxBytes: number,
  maxDepth = MAX_PAYLOAD_DEPTH,
): void {
  let bytes = 0;
  const stack: { value: unknown; depth: number }[] = [{ value: payload, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (depth > maxDepth) {
      throw errors.invalidInput(`The payload nests deeper than ${maxDepth} levels.`);
    }
    if (typeof value === 'string') bytes += Buffer.byteLength(JSON.stringify(value));
    else if (value === null || value === undefined) bytes += 4;
    else if (typeof value === 'number' || typeof value === 'boolean') bytes += `${value}`.length;
    else if (typeof value !== 'object')
      bytes += 8; // not from JSON: a bigint, a function
    else if (Array.isArray(value)) {
      bytes += 2 + Math.max(0, value.length - 1);
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
    } else {
      const entries = Object.entries(value as Record<string, unknown>);
      bytes += 2 + Math.max(0, entries.length - 1);
      for (const [key, item] of entries) {
        bytes += Buffer.byteLength(JSON.stringify(key)) + 1;
        stack.push({ value: item, depth: depth + 1 });
      }
    }
    if (bytes > maxBytes) throw errors.payloadTooLarge(maxBytes);
  }
}
