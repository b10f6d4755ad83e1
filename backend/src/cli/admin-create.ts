import type { INestApplicationContext } from '@nestjs/common';
import { parseArgs } from 'node:util';
import { AdminAccountsService, normaliseUsername } from '../admin/admin-accounts.service.js';
import { AppConfig } from '../config/app-config.js';
import { CliError, createCliContext, isMainModule, loadCliConfig, runCli } from './cli-context.js';
import { readPassword } from './password-prompt.js';

const USAGE = `Usage: npm run admin:create -- --username NAME [--promote]

Creates an administrator account. The password is asked for (without echo) at a terminal, or read
from the first line of standard input:  echo "$PASSWORD" | npm run admin:create -- --username NAME
--promote makes an existing user an admin instead (their password stays as it is).`;

export interface AdminCreateRequest {
  username: string;
  promote: boolean;
  /** Called only when a new account is made. */
  password: () => Promise<string>;
}

export type AdminCreateOutcome = 'created' | 'promoted' | 'already-admin';

/** Registration's rule, with the stricter production minimum that ADMIN_PASSWORD has too. */
export function checkAdminPassword(password: string, production: boolean): void {
  if (password.length < 8 || password.length > 128) throw new CliError('The password must be 8–128 characters long');
  if (production && password.length < 12) throw new CliError('The password must be at least 12 characters long in production');
}

/** What `npm run admin:create` does once the application is up. */
export async function createAdmin(app: INestApplicationContext, request: AdminCreateRequest): Promise<AdminCreateOutcome> {
  const accounts = app.get(AdminAccountsService);
  const username = normaliseUsername(request.username);
  const existing = await accounts.findByUsername(username);
  if (existing) {
    if (!request.promote) {
      const what = existing.role === 'admin' ? 'an admin' : 'a user';
      throw new CliError(`"${username}" already exists (${what}); add --promote to make an existing user an admin`);
    }
    if (existing.role === 'admin') return 'already-admin';
    await accounts.promote(existing.id);
    return 'promoted';
  }
  const password = await request.password();
  checkAdminPassword(password, app.get(AppConfig).isProduction);
  if (!(await accounts.create(username, password))) {
    throw new CliError(`"${username}" was created by someone else meanwhile; run again with --promote if it should be an admin`);
  }
  return 'created';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { username: { type: 'string', short: 'u' }, promote: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.username) throw new CliError('--username is required: npm run admin:create -- --username NAME [--promote]');
  const username = normaliseUsername(values.username);
  const app = await createCliContext(loadCliConfig());
  try {
    const outcome = await createAdmin(app, {
      username,
      promote: values.promote,
      password: () => readPassword(process.stdin, process.stderr, username),
    });
    const messages: Record<AdminCreateOutcome, string> = {
      created: `Created the admin account "${username}".`,
      promoted: `"${username}" is now an admin (password unchanged).`,
      'already-admin': `"${username}" is already an admin; nothing changed.`,
    };
    console.log(messages[outcome]);
  } finally {
    await app.close();
  }
}

if (isMainModule(import.meta.url)) runCli(main);
