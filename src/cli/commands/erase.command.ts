import type { Command } from 'commander';
import { eraseCustomerEvents } from '../../modules/ingest/index.js';
import { eraseCustomerPayments } from '../../modules/payments/index.js';
import { eraseCustomerRisk } from '../../modules/risk/index.js';
import { fail, withContainer } from '../cli-context.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `paylens erase --tenant <name> --customer <e-mail or id>…` (GDPR erasure): one transaction over
 * every module's tables, then the velocity history, then an audit entry with the counts. The audit
 * names the customer by their keys (keyed hashes), never by the e-mail or id given.
 */
export function registerEraseCommand(program: Command): void {
  program
    .command('erase')
    .description("erase a customer's data: events, raw payloads, payments, assessments, labels, list entries, velocity")
    .requiredOption('--tenant <name>', 'tenant name')
    .requiredOption(
      '--customer <email|id>',
      "the customer's e-mail address or provider customer id; repeat to give both",
      collect,
      [],
    )
    .option('--json', 'print JSON')
    .action(async (opts: { tenant: string; customer: string[]; json?: boolean }) => {
      const identifiers = [...new Set(opts.customer.map((c) => c.trim()).filter((c) => c !== ''))];
      if (identifiers.length === 0) fail('--customer must name an e-mail address or a customer id', 2);
      await withContainer(async (c) => {
        const tenant = await c.tenants.findByName(opts.tenant);
        if (!tenant) fail(`no tenant named ${opts.tenant}`);
        const customerKeys = identifiers.map((id) => c.customerKey(id.includes('@') ? 'email' : 'id', id));
        // Writes already accepted by this process reach the tables before they are searched.
        await c.writer.flush();
        await c.risk.recorder.flush();
        const tables = await c.db.transaction().execute(async (trx) => {
          const events = await eraseCustomerEvents(trx, { tenantId: tenant.id, customerKeys, identifiers });
          const payments = await eraseCustomerPayments(trx, tenant.id, events.payments);
          const risk = await eraseCustomerRisk(trx, {
            tenantId: tenant.id,
            customerKeys,
            identifiers,
            transactionIds: events.transactionIds,
            eventIds: events.eventIds,
          });
          return { ...events.counts, ...payments, ...risk };
        });
        let velocity: number | string;
        try {
          velocity = await c.risk.velocity.forgetCustomers(tenant.id, customerKeys);
        } catch (error) {
          velocity = `unreachable: ${error instanceof Error ? error.message : String(error)}`;
        }
        const removed = { ...tables, [`velocity_${c.risk.velocity.kind}`]: velocity };
        await c.audit.record(tenant.id, {
          actor: 'cli',
          action: 'customer.erase',
          target: customerKeys.join(','),
          details: { removed },
        });
        if (opts.json) console.log(JSON.stringify({ tenant: tenant.name, customerKeys, removed }));
        else {
          console.log(`erased customer ${customerKeys.join(', ')} of tenant ${tenant.name}:`);
          for (const [table, n] of Object.entries(removed)) console.log(`  ${table}\t${n}`);
        }
      });
    });
}
