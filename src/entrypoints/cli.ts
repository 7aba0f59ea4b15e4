import { Command } from 'commander';
import { registerTenancyCommands } from '../cli/commands/tenancy.commands.js';
import { registerRiskCommands } from '../cli/commands/risk.commands.js';
import { registerImportCommand } from '../cli/commands/import.command.js';
import { registerWorkerCommand } from '../cli/commands/worker.command.js';
import { registerDatalakeCommands } from '../cli/commands/datalake.command.js';
import { withContainer } from '../cli/cli-context.js';
import { ConfigError } from '../platform/config/config.js';

const program = new Command();
program
  .name('paylens')
  .description('Paylens command line: store administration, imports, workers')
  .showHelpAfterError();

program
  .command('migrate')
  .description('apply database migrations (also done automatically at start)')
  .action(async () => {
    await withContainer(async (c) => {
      console.log(`database up to date (${c.database.kind}: ${c.database.location})`);
    });
  });

registerTenancyCommands(program);
registerRiskCommands(program);
registerImportCommand(program);
registerWorkerCommand(program);
registerDatalakeCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
