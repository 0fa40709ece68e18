// The appliance test's S3-compatible server (@20minutes/s3rver, a devDependency), run on the host until
// it is killed (SIGTERM or SIGINT):
//   node test/appliance/testS3.ts --address IP --port N --directory DIR --bucket NAME
//        --access-key-id ID --secret-key-file FILE [--key FILE --cert FILE]
// Objects are files under DIR/NAME/<key>._S3rver_object. With --key and --cert (PEM) it serves https.
// Only the given access key is accepted (s3rver's built-in S3RVER key is revoked), and requests must
// be signed with the secret key in FILE.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import type { S3rver, S3rverOptions } from '../backup/s3server.ts';

interface Account {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  revokeAccessKey(accessKeyId: string): void;
}
const require = createRequire(import.meta.url);
const S3rver = require('@20minutes/s3rver') as new (options: S3rverOptions) => S3rver;
const { DUMMY_ACCOUNT } = require('@20minutes/s3rver/lib/models/account') as {
  DUMMY_ACCOUNT: Account;
};

const { values } = parseArgs({
  options: {
    address: { type: 'string' },
    port: { type: 'string' },
    directory: { type: 'string' },
    bucket: { type: 'string' },
    'access-key-id': { type: 'string' },
    'secret-key-file': { type: 'string' },
    key: { type: 'string' },
    cert: { type: 'string' },
  },
});
const { address, port, directory, bucket } = values;
const accessKeyId = values['access-key-id'];
const secretKeyFile = values['secret-key-file'];
if (!address || !port || !directory || !bucket || !accessKeyId || !secretKeyFile) {
  console.error(
    'usage: testS3.ts --address IP --port N --directory DIR --bucket NAME --access-key-id ID --secret-key-file FILE [--key FILE --cert FILE]',
  );
  process.exit(2);
}
if (Boolean(values.key) !== Boolean(values.cert)) {
  console.error('testS3: give both --key and --cert, or neither');
  process.exit(2);
}

DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
DUMMY_ACCOUNT.createKeyPair(accessKeyId, readFileSync(secretKeyFile, 'utf8').trim());
const server = new S3rver({
  address,
  port: Number(port),
  silent: false,
  directory,
  configureBuckets: [{ name: bucket }],
  ...(values.key && values.cert
    ? { key: readFileSync(values.key, 'utf8'), cert: readFileSync(values.cert, 'utf8') }
    : {}),
});
const listening = await server.run();
console.log(
  `testS3: ${values.key ? 'https' : 'http'}://${listening.address}:${listening.port}, bucket ${bucket} in ${directory}`,
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  // close() waits for open keep-alive connections; they are not worth waiting long for.
  setTimeout(() => process.exit(0), 2000).unref();
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`testS3: ${(error as Error).message}`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
