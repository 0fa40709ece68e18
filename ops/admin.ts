// `make admin`: creates the first admin account and prints its password once.
// Usage: node ops/admin.ts [--email admin@example.com] [--name "Parley Admin"] [--if-none]
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadConfigOrExit } from '../config/load.ts';
import { generatePassword, passwordHasher } from '../app/domain/passwords.ts';
import { agentsRepo } from '../app/storage/agents.ts';
import { openDb } from '../app/storage/db.ts';

const { values } = parseArgs({
  options: {
    email: { type: 'string', default: 'admin@parley.local' },
    name: { type: 'string', default: 'Parley Admin' },
    'if-none': { type: 'boolean', default: false },
    'password-file': { type: 'string' },
  },
});

const email = z.email().safeParse(values.email);
if (!email.success) {
  console.error(`--email: "${values.email}" is not an email address`);
  process.exit(64);
}

const config = loadConfigOrExit({ process: 'ops' });
const db = openDb(config);
const agents = agentsRepo(db);
try {
  if (values['if-none'] && (await agents.count()) > 0) {
    console.log('an account already exists; no admin created');
  } else if (await agents.byEmail(email.data)) {
    console.error(`an account for ${email.data} already exists; nothing changed`);
    process.exitCode = 1;
  } else {
    const env = config.env;
    const hasher = passwordHasher({
      memoryCost: env.PARLEY_ARGON2_MEMORY_KIB,
      timeCost: env.PARLEY_ARGON2_ITERATIONS,
      parallelism: env.PARLEY_ARGON2_PARALLELISM,
    });
    const password = generatePassword();
    await agents.insert({
      email: email.data,
      name: values.name,
      role: 'admin',
      password_hash: await hasher.hash(password),
      must_change_password: 0,
    });
    if (values['password-file']) {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(values['password-file'], `${password}\n`, { mode: 0o600 });
    }
    console.log('First admin created. This password is shown once; store it now.');
    console.log(`  email:    ${email.data}`);
    console.log(`  password: ${password}`);
  }
} catch (error) {
  console.error(`could not create the admin: ${(error as Error).message.split('\n')[0]}`);
  process.exitCode = 1;
} finally {
  await db.destroy();
}
