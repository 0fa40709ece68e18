import { Socket } from 'node:net';

// A minimal clamd control client for health: PING and VERSION over TCP (`z` commands are NUL-terminated).
// File scanning (INSTREAM) arrives with the file-transfer issue.

export interface ClamdStatus {
  up: boolean;
  version?: string;
  signatures?: string;
  signaturesDate?: string;
}

export function clamdClient(host: string, port: number, timeoutMs: number) {
  function command(name: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      const chunks: Buffer[] = [];
      socket.setTimeout(timeoutMs, () => socket.destroy(new Error('clamd timed out')));
      socket.once('error', reject);
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.once('close', () =>
        resolve(Buffer.concat(chunks).toString('utf8').replace(/\0$/, '').trim()),
      );
      socket.connect(port, host, () => socket.end(`z${name}\0`));
    });
  }
  return {
    async status(): Promise<ClamdStatus> {
      try {
        if ((await command('PING')) !== 'PONG') return { up: false };
        // "ClamAV 1.4.6/27000/Fri Nov 20 09:00:00 2026"
        const [version, signatures, signaturesDate] = (await command('VERSION')).split('/');
        return { up: true, version, signatures, signaturesDate };
      } catch {
        return { up: false };
      }
    },
  };
}

export type ClamdClient = ReturnType<typeof clamdClient>;
