import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { pipeline } from 'node:stream/promises';
import * as Minio from 'minio';
import { digestOf } from '../archive/streams.ts';
import { PermanentTargetError, type Target } from './target.ts';

export interface S3Settings {
  /** https://host[:port] (a bare host means https); http:// only when written out. */
  endpoint: string;
  region: string;
  bucket: string;
  /** Keys are `<prefix><name>`; a missing trailing slash is added. */
  prefix: string;
  accessKeyId: string;
  secretKey: string;
  /** https://host/bucket/key rather than https://bucket.host/key (what most on-prem stores want). */
  pathStyle: boolean;
  /** PEM of a private CA: it replaces the system's CAs for this endpoint. */
  ca?: string;
  /** A request that sends or receives nothing for this long fails (and is retried). */
  idleTimeoutMs?: number;
  /** Multipart part size (at least 5 MiB); each part is held in memory while it is sent. */
  partSize?: number;
}

const MiB = 1024 * 1024;
const MAX_PARTS = 10_000; // S3's limit per upload
const CREDENTIALS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch']);
const BUCKET = new Set(['AccessDenied', 'NoSuchBucket', 'AllAccessDisabled']);
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

export function parseEndpoint(endpoint: string): { host: string; port?: number; secure: boolean } {
  const url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `https://${endpoint}`);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new PermanentTargetError(`the S3 endpoint ${endpoint} must be an https:// URL`);
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    ...(url.port ? { port: Number(url.port) } : {}),
    secure: url.protocol === 'https:',
  };
}

/**
 * S3-compatible object storage (AWS, MinIO, Ceph RGW, …), signed with SigV4 by the minio client.
 * Uploads go straight to the final key: a PUT, or a multipart upload's completion, is atomic on
 * S3 (the object appears only whole), and S3 has no rename, so a temporary key would only double
 * the traffic.
 */
export function s3Target(settings: S3Settings): Target {
  const { host, port, secure } = parseEndpoint(settings.endpoint);
  const origin = `${secure ? 'https' : 'http'}://${host}${port ? `:${port}` : ''}`;
  const prefix = settings.prefix.replace(/^\/+/, '').replace(/([^/])$/, '$1/');
  const idleMs = settings.idleTimeoutMs ?? 60_000;
  const key = (name: string) => `${prefix}${name}`;
  let agent: http.Agent | null = null;

  const client = (): Minio.Client => {
    agent ??= secure
      ? new https.Agent({ keepAlive: true, ...(settings.ca ? { ca: settings.ca } : {}) })
      : new http.Agent({ keepAlive: true });
    const request = ((
      options: http.RequestOptions,
      callback?: (r: http.IncomingMessage) => void,
    ) => {
      const req = (secure ? https : http).request(options, callback);
      req.setTimeout(idleMs, () =>
        req.destroy(new Error(`no answer from ${origin} for ${idleMs / 1000} s`)),
      );
      return req;
    }) as typeof http.request;
    return new Minio.Client({
      endPoint: host,
      ...(port ? { port } : {}),
      useSSL: secure,
      region: settings.region,
      accessKey: settings.accessKeyId,
      secretKey: settings.secretKey,
      pathStyle: settings.pathStyle,
      transport: { request },
      transportAgent: agent,
      // replicate() retries with its own backoff.
      retryOptions: { disableRetry: true },
    });
  };

  /** Says what went wrong in the administrator's terms; refusals are not worth retrying. */
  const explain = async <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      const { code, message } = error as { code?: string; message: string };
      if (code && CREDENTIALS.has(code)) {
        throw new PermanentTargetError(
          `the S3 server ${origin} refused the credentials (${code}): check PARLEY_BACKUP_S3_ACCESS_KEY_ID and PARLEY_BACKUP_S3_SECRET_KEY_FILE`,
        );
      }
      if (code && BUCKET.has(code)) {
        throw new PermanentTargetError(
          `the S3 server ${origin} refused access to bucket ${settings.bucket} (${code}: ${message})`,
        );
      }
      if (code && UNTRUSTED.has(code)) {
        throw new PermanentTargetError(
          `the certificate of ${origin} is not trusted (${code}): set PARLEY_BACKUP_S3_CA_FILE to the CA that signed it`,
        );
      }
      throw new Error(`S3 ${what} on ${origin}: ${message}`, { cause: error });
    }
  };

  return {
    name: `s3:${origin}/${settings.bucket}/${prefix}`,
    put: (localFile, name) =>
      explain(`upload of ${key(name)}`, async () => {
        const { size } = await stat(localFile);
        const partSize = Math.max(
          settings.partSize ?? 16 * MiB,
          Math.ceil(size / MAX_PARTS / MiB) * MiB,
        );
        const c = client();
        if (size <= partSize) {
          await c.putObject(settings.bucket, key(name), createReadStream(localFile), size);
        } else {
          await multipartUpload(c, settings.bucket, key(name), localFile, size, partSize);
        }
      }),
    digest: (name) =>
      explain(`read-back of ${key(name)}`, async () =>
        digestOf(await client().getObject(settings.bucket, key(name))),
      ),
    get: (name, localFile) =>
      explain(`download of ${key(name)}`, async () =>
        pipeline(
          await client().getObject(settings.bucket, key(name)),
          createWriteStream(localFile),
        ),
      ),
    list: () =>
      explain(`listing of ${prefix || '/'}`, async () => {
        const names: string[] = [];
        for await (const item of client().listObjectsV2(settings.bucket, prefix, false)) {
          const found = (item as { name?: string }).name;
          if (found) names.push(found.slice(prefix.length));
        }
        return names;
      }),
    remove: (name) =>
      explain(`removal of ${key(name)}`, () => client().removeObject(settings.bucket, key(name))),
    close: () => {
      agent?.destroy();
      agent = null;
      return Promise.resolve();
    },
  };
}

/**
 * Part by part from the file, each with its Content-MD5; aborted on failure so no invisible parts
 * are left behind. Done here rather than by minio-js's putObject, which first lists the bucket's
 * incomplete uploads: a permission a write-only backup account often lacks (and s3rver lacks).
 */
async function multipartUpload(
  c: Minio.Client,
  bucket: string,
  objectName: string,
  localFile: string,
  size: number,
  partSize: number,
): Promise<void> {
  const uploadID = await c.initiateNewMultipartUpload(bucket, objectName, {});
  const file = await open(localFile);
  try {
    const etags: { part: number; etag: string }[] = [];
    for (let partNumber = 1, start = 0; start < size; partNumber++, start += partSize) {
      const chunk = Buffer.alloc(Math.min(partSize, size - start));
      for (let read = 0; read < chunk.length;) {
        const { bytesRead } = await file.read(chunk, read, chunk.length - read, start + read);
        if (bytesRead === 0) throw new Error(`${localFile} shrank while it was uploaded`);
        read += bytesRead;
      }
      const md5 = createHash('md5').update(chunk).digest('base64');
      const headers = { 'Content-MD5': md5 };
      const part = { bucketName: bucket, objectName, uploadID, partNumber, headers };
      etags.push(await c.uploadPart(part, chunk));
    }
    await c.completeMultipartUpload(bucket, objectName, uploadID, etags);
  } catch (error) {
    await c.abortMultipartUpload(bucket, objectName, uploadID).catch(() => {});
    throw error;
  } finally {
    await file.close();
  }
}
