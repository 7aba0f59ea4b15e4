import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { emailSchema, type Invitation, type PublicUser } from '../../modules/access/index.js';
import { ROLES, roleSchema, type Role, type Tenant } from '../../modules/tenancy/index.js';
import type { Container } from '../../container.js';
import { AppError } from '../../platform/errors/app-error.js';
import { fail, withContainer } from '../cli-context.js';

/** The operator at the console, as the audit log records them (no client address, no user agent). */
function operator() {
  let osUser: string | null;
  try {
    osUser = userInfo().username;
  } catch {
    osUser = null;
  }
  return { actor: 'cli', details: { actorType: 'cli', osUser, clientAddress: null, userAgent: null } };
}

type Invited = { tenant: string; user: PublicUser; invitation: Invitation };

function printInvitation({ tenant, user, invitation }: Invited, json: boolean | undefined): void {
  if (json) console.log(JSON.stringify({ tenant, user, invitation }));
  else
    console.log(
      [
        `invited ${user.email} as ${user.role} of ${tenant} (${user.id})`,
        `invitation link (shown once): ${invitation.url}`,
        `token: ${invitation.token}`,
        `expires: ${invitation.expiresAt}`,
      ].join('\n'),
    );
}

/**
 * Runs `work` against the named tenant with the store's services. An unknown tenant, a refusal the
 * service raises (AppError) or a message `work` returns ends the command with that message.
 */
async function onTenant<T extends object>(
  name: string,
  work: (c: Container, tenant: Tenant) => Promise<T | string>,
): Promise<T> {
  const outcome = await withContainer(async (c): Promise<T | string> => {
    const tenant = await c.tenants.findByName(name);
    if (!tenant) return `no tenant named ${name}`;
    try {
      return await work(c, tenant);
    } catch (error) {
      if (error instanceof AppError) return error.message;
      throw error;
    }
  });
  if (typeof outcome === 'string') fail(outcome);
  return outcome;
}

function userLine(u: PublicUser): string {
  return [u.id, u.email, u.role, u.status, u.totp ? 'totp' : '-', u.lastSignInAt ?? 'never signed in'].join('\t');
}

/**
 * `paylens users invite|reinvite|list`: the operator's way to a tenant's people. The CLI acts with the
 * store's full authority, so it may invite an owner, which is how a tenant made with
 * `paylens tenants create` gets its first one.
 */
export function registerUserCommands(program: Command): void {
  const users = program.command('users').description("manage a tenant's dashboard users");
  users
    .command('invite')
    .requiredOption('--tenant <name>', 'tenant name')
    .requiredOption('--email <address>', "the person's e-mail address")
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--json', 'print JSON (the body POST /v1/users answers, with the tenant name)')
    .description('invite a user; prints the invitation link and token (shown once) and when it expires')
    .action(async (opts: { tenant: string; email: string; role: string; json?: boolean }) => {
      const role = roleSchema.safeParse(opts.role);
      if (!role.success) fail(`--role takes ${ROLES.join(', ')}; got ${opts.role}`, 2);
      const email = emailSchema.safeParse(opts.email);
      if (!email.success) fail(`--email: not an e-mail address: ${opts.email}`, 2);
      const invited = await onTenant(opts.tenant, async (c, tenant): Promise<Invited> => {
        const input: { email: string; role: Role } = { email: email.data, role: role.data };
        return { tenant: tenant.name, ...(await c.access.service.invite(tenant.id, input, operator())) };
      });
      printInvitation(invited, opts.json);
    });
  users
    .command('reinvite')
    .requiredOption('--tenant <name>', 'tenant name')
    .requiredOption('--email <address>', 'the e-mail address of a user who has not joined yet')
    .option('--json', 'print JSON')
    .description(
      'a new invitation for a user who has not joined (theirs expired or went astray); earlier links stop working',
    )
    .action(async (opts: { tenant: string; email: string; json?: boolean }) => {
      const email = emailSchema.safeParse(opts.email);
      if (!email.success) fail(`--email: not an e-mail address: ${opts.email}`, 2);
      const invited = await onTenant(opts.tenant, async (c, tenant): Promise<Invited | string> => {
        const user = (await c.access.service.list(tenant.id)).find((u) => u.email === email.data);
        if (!user) return `${email.data} is not a user of ${tenant.name}`;
        const again = await c.access.service.reinvite(tenant.id, user.id, { ...operator(), isOwner: true });
        return { tenant: tenant.name, ...again };
      });
      printInvitation(invited, opts.json);
    });
  users
    .command('list')
    .requiredOption('--tenant <name>', 'tenant name')
    .option('--json', 'print JSON')
    .description("list a tenant's users: id, e-mail, role, status, second factor, last sign-in")
    .action(async (opts: { tenant: string; json?: boolean }) => {
      const listed = await onTenant(opts.tenant, (c, tenant) => c.access.service.list(tenant.id));
      if (opts.json) console.log(JSON.stringify(listed));
      else for (const u of listed) console.log(userLine(u));
    });
}
