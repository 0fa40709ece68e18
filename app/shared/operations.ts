// Wire types of the operations pages (backups, visitor limits): types only, nothing runs here.
export interface BackupDrillView {
  at: string;
  backup: string | null;
  ok: boolean;
  tables?: number;
  rows?: number;
  files?: number;
  error?: string;
}

/** GET /api/backups/status, `make backup-status` and Admin › Backups (app/domain/backupStatus.ts). */
export interface BackupStatusView {
  lastBackup: { name: string; at: string; bytes: number } | null;
  backups: number;
  lastDrill: BackupDrillView | null;
  offsite: {
    at: string;
    backup: string;
    targets: { target: string; ok: boolean; attempts: number; error?: string }[];
  } | null;
  /** One line per problem worth an alert: a failed drill, a target that stayed down. */
  alerts: string[];
}

/** A visitor limit's rule (issue 12): `points` per `seconds`, and `burst` more per `burstSeconds`. */
export interface RateRuleView {
  points: number;
  seconds: number;
  burst: number;
  burstSeconds: number;
}
export interface RateLimitView {
  id: string;
  label: string;
  perAddress: RateRuleView;
  perVisitor: RateRuleView;
  /** Refusals in the period, by what was counted. */
  refused: { address: number; visitor: number };
}
/** One hour's refusals, by `<limit>.<dimension>` (e.g. `message.visitor`). */
export interface RefusalHourView {
  at: string;
  refused: Record<string, number>;
}
/** GET /api/rate-limits and Admin › Visitor limits. */
export interface RateLimitsResponse {
  /** `shared`: counted in Redis for every app process; `process`: in this process's memory only. */
  counting: 'shared' | 'process';
  redis: 'up' | 'down' | 'not_configured';
  from: string;
  to: string;
  limits: RateLimitView[];
  /** Newest first; hours without a refusal are left out. */
  hours: RefusalHourView[];
  /** The networks refused most (IPv4 /24, IPv6 /48), most first. */
  topNetworks: { network: string; refused: number }[];
}
