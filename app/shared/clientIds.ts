/**
 * A random id for a message or upload: a v4 UUID written with "_" between its groups. Digits joined
 * by "-" read as one number to the card-number rule, so a dashed UUID can, about once in 50,000,
 * look like a card number and be refused at the storage boundary (issue 12); with "_" no run of
 * digits is longer than the last group's twelve. `crypto.randomUUID` exists only in secure
 * contexts, which a customer page may not be.
 */
export function newClientId(): string {
  return randomUuid().replaceAll('-', '_');
}

function randomUuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
