import type { Logger } from '../../log.ts';
import { parseSyslogTarget, syslogSink, type SyslogTarget } from '../../storage/syslogSink.ts';
import type { AuditSink } from './auditLog.ts';
import { formatSyslog } from './syslogFormat.ts';

// Forwards every committed audit entry to a syslog collector (a SIEM) as one RFC 5424 message:
// formatted here (syslogFormat.ts), sent by the storage sink (app/storage/syslogSink.ts), which
// never blocks or fails the audited action.

export interface SyslogForwarderOptions {
  appName: string;
  log?: Logger;
  /** Most messages waiting for the collector; more are dropped and counted. */
  queueMax?: number;
  hostname?: string;
}

export interface SyslogForwarder extends AuditSink {
  stats(): { sent: number; dropped: number; queued: number };
}

/** Sends each entry to the collector; connects on first use, reconnects with backoff. */
export function syslogForwarder(
  target: SyslogTarget,
  options: SyslogForwarderOptions,
): SyslogForwarder {
  const sink = syslogSink(target, { log: options.log, queueMax: options.queueMax });
  return {
    send: (row) =>
      sink.send(
        formatSyslog(row, {
          appName: options.appName,
          hostname: options.hostname,
          maxBytes: sink.maxBytes,
        }),
      ),
    stats: () => sink.stats(),
    close: () => sink.close(),
  };
}

/** The forwarder the configuration asks for, or none (and no outbound connection) when empty. */
export function auditForwarding(
  env: { PARLEY_AUDIT_SYSLOG: string; PARLEY_AUDIT_SYSLOG_APP_NAME: string },
  log?: Logger,
): SyslogForwarder | undefined {
  const target = parseSyslogTarget(env.PARLEY_AUDIT_SYSLOG);
  if (!target) return undefined;
  return syslogForwarder(target, { appName: env.PARLEY_AUDIT_SYSLOG_APP_NAME, log });
}
