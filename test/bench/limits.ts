// The benchmarks measure throughput from one machine (one address, a few hundred visitors at
// thousands of messages a second), far past any visitor limit (issue 12): the limits are lifted so
// that they measure the message path, not the refusals. The limits are still counted (Redis).
const LIFTED = '999999/1s';

export const liftedLimits: Record<string, string> = {
  ...Object.fromEntries(
    ['TOKEN', 'CONNECT', 'CHAT_START', 'MESSAGE', 'TYPING', 'UPLOAD'].flatMap((limit) => [
      [`PARLEY_RATE_${limit}_PER_ADDRESS`, LIFTED],
      [`PARLEY_RATE_${limit}_PER_VISITOR`, LIFTED],
    ]),
  ),
  PARLEY_RATE_HANDSHAKES_PER_ADDRESS: '10000',
};
