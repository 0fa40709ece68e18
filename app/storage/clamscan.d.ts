// The few parts of the `clamscan` package (no published types) that Parley uses: PING and VERSION.
declare module 'clamscan' {
  interface ClamdSettings {
    host: string;
    port: number;
    timeout: number;
    socket: false;
    path: null;
    configFile: null;
    localFallback: false;
    active: true;
    bypassTest: boolean;
  }
  interface NodeClamScanner {
    /** Resolves with the open connection once clamd answered PONG; the caller ends it. */
    ping(): Promise<{ end(): void }>;
    /** clamd's VERSION reply, e.g. "ClamAV 1.4.6/27000/Fri Nov 20 09:00:00 2026". */
    getVersion(): Promise<string>;
  }
  export default class NodeClam {
    init(options: {
      clamscan: { active: false };
      clamdscan: ClamdSettings;
      preference: 'clamdscan';
      removeInfected?: false;
      debugMode?: false;
    }): Promise<NodeClamScanner>;
  }
}
