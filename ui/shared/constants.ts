/** How long a client waits for a socket acknowledgement before treating the send as lost. */
export const ACK_TIMEOUT_MS = 10_000;

/** Upper bound for one message; the composer stops input here so the server never has to refuse. */
export const MAX_MESSAGE_LENGTH = 4000;
