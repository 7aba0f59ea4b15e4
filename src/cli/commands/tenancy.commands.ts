import type { Command } from 'commander';
import { tenantNameSchema } from '../../modules/tenancy/index.js';
import type { ApiKeyRecord } from '../../modules/tenancy/index.js';
import { SCOPES, scopeSchema, type Scope } from '../../modules/tenancy/index.js';
import { parseCidr } from '../../platform/http/client-address.js';
import { fail, withContainer } from '../cli-context.js';

function listOption(value: string): string[] {
  return value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function keyState(key: ApiKeyRecord, now = new Date()): string {
  if (key.revokedAt) return 'revoked';
  if (key.expiresAt && key.expiresAt <= now) return 'expired';
  return key.expiresAt ? `active until ${key.expiresAt.toISOString()}` : 'active';
}

export function registerTenancyCommands(program: Command): void {
  const tenants = program.command('tenants').description('manage tenants');
  tenants
    .command('create')
    .argument('<name>', 'tenant name (lowercase letters, digits, - and _)')
    .option('--json', 'print JSON')
    .description('create a tenant and its first API key (shown once)')
    .action(async (name: string, opts: { json?: boolean }) => {
      const parsed = tenantNameSchema.safeParse(name);
      if (!parsed.success) fail(`invalid tenant name: ${parsed.error.issues[0]?.message}`, 2);
      await withContainer(async (c) => {
        const tenant = await c.tenants.create(name);
        if (!tenant) fail(`tenant ${name} exists already`);
        const issued = await c.apiKeys.issue(tenant.id, 'default');
        if (opts.json)
          console.log(JSON.stringify({ tenant: { id: tenant.id, name: tenant.name }, apiKey: issued.secret }));
        else console.log(`tenant ${tenant.name} (${tenant.id})\nAPI key (shown once): ${issued.secret}`);
      });
    });
  tenants
    .command('list')
    .option('--json', 'print JSON')
    .description('list tenants')
    .action(async (opts: { json?: boolean }) => {
      await withContainer(async (c) => {
        const all = await c.tenants.list();
        if (opts.json) console.log(JSON.stringify(all));
        else for (const t of all) console.log(`${t.id}\t${t.name}\t${t.createdAt.toISOString()}`);
      });
    });

  const keys = program.command('keys').description('manage API keys');
  keys
    .command('create')
    .requiredOption('--tenant <name>', 'tenant name')
    .option('--name <name>', 'a label for the key', 'cli')
    .option('--scopes <list>', `comma-separated scopes from ${SCOPES.join(', ')}`, SCOPES.join(','))
    .option(
      '--allowed-cidrs <list>',
      'comma-separated client addresses or CIDRs the key may be used from (any when omitted)',
    )
    .option('--json', 'print JSON')
    .description('create an API key for a tenant (shown once)')
    .action(async (opts: { tenant: string; name: string; scopes: string; allowedCidrs?: string; json?: boolean }) => {
      const scopes = listOption(opts.scopes);
      const unknown = scopes.filter((s) => !scopeSchema.safeParse(s).success);
      if (scopes.length === 0 || unknown.length > 0)
        fail(`--scopes takes ${SCOPES.join(', ')}; got ${unknown.join(', ') || 'none'}`, 2);
      const allowedCidrs = opts.allowedCidrs === undefined ? null : listOption(opts.allowedCidrs);
      const badCidr = allowedCidrs?.find((c) => parseCidr(c) === null);
      if (badCidr !== undefined || allowedCidrs?.length === 0)
        fail(`--allowed-cidrs: not an IP address or CIDR: ${badCidr ?? '(empty)'}`, 2);
      await withContainer(async (c) => {
        const tenant = await c.tenants.findByName(opts.tenant);
        if (!tenant) fail(`no tenant named ${opts.tenant}`);
        const issued = await c.apiKeys.issue(tenant.id, opts.name, {
          scopes: [...new Set(scopes as Scope[])],
          allowedCidrs,
        });
        const { id, prefix } = issued.key;
        if (opts.json)
          console.log(
            JSON.stringify({
              id,
              tenant: tenant.name,
              prefix,
              scopes: issued.key.scopes,
              allowedCidrs: issued.key.allowedCidrs,
              apiKey: issued.secret,
            }),
          );
        else
          console.log(
            `key ${id} for ${tenant.name} (scopes: ${issued.key.scopes.join(', ')})\nAPI key (shown once): ${issued.secret}`,
          );
      });
    });
  keys
    .command('list')
    .requiredOption('--tenant <name>', 'tenant name')
    .option('--json', 'print JSON')
    .description("list a tenant's keys (prefixes, scopes and states; never the secrets)")
    .action(async (opts: { tenant: string; json?: boolean }) => {
      await withContainer(async (c) => {
        const tenant = await c.tenants.findByName(opts.tenant);
        if (!tenant) fail(`no tenant named ${opts.tenant}`);
        const list = await c.apiKeys.list(tenant.id);
        if (opts.json) console.log(JSON.stringify(list));
        else
          for (const k of list) console.log(`${k.id}\t${k.prefix}…\t${k.name}\t${k.scopes.join(',')}\t${keyState(k)}`);
      });
    });
  keys
    .command('revoke')
    .argument('<id>', 'key id (key_…)')
    .description('revoke an API key at once')
    .action(async (id: string) => {
      await withContainer(async (c) => {
        const revoked = await c.apiKeys.revoke(id);
        if (!revoked) fail(`no API key ${id}`);
        console.log(`revoked ${revoked.id} (${revoked.prefix}…)`);
      });
    });
}
