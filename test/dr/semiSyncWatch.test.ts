import { describe, expect, it } from 'vitest';
import type { ReplicationState } from '../../app/storage/replication.ts';
import { semiSyncChanged, semiSyncMode } from '../../backup/worker/semiSyncWatch.ts';

// Which semi-sync states the worker records (issue 15); the fall back itself, against two real
// MariaDB servers, is in failover.test.ts ("replication broken before the failover").

const state = (primaryEnabled: boolean, primaryActive: boolean) =>
  ({ semiSync: { primaryEnabled, primaryActive } }) as ReplicationState;

describe('the semi-sync record', () => {
  it('tells synchronous, asynchronous (fell back) and off apart', () => {
    expect(semiSyncMode(state(true, true))).toBe('sync');
    expect(semiSyncMode(state(true, false))).toBe('async');
    expect(semiSyncMode(state(false, false))).toBe('off');
  });

  it('records going into and out of asynchronous, and a start while it lasts', () => {
    expect(semiSyncChanged('sync', 'async')).toBe(true);
    expect(semiSyncChanged('async', 'sync')).toBe(true);
    expect(semiSyncChanged('async', 'off')).toBe(true);
    expect(semiSyncChanged(null, 'async')).toBe(true);
    expect(semiSyncChanged(null, 'sync')).toBe(false);
    expect(semiSyncChanged('sync', 'sync')).toBe(false);
    expect(semiSyncChanged('sync', 'off')).toBe(false);
    expect(semiSyncChanged('async', 'async')).toBe(false);
  });
});
