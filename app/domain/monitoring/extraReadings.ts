import type { ReadingSources } from './sources.ts';

// Further gauges on the Prometheus endpoint, one line each: a name (parley_*), its help, and how to
// read it (null when unknown). The DR files lag (issue 15: filesLag in app/storage) goes here.

export interface ExtraReading {
  name: string;
  help: string;
  read(sources: ReadingSources): Promise<number | null>;
}

export const EXTRA_READINGS: ExtraReading[] = [];
