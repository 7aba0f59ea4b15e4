import { Command } from 'commander';
import { registerTenancyCommands } from './commands/tenancy.commands.js';
import { registerUserCommands } from './commands/users.commands.js';
import { registerRiskCommands } from './commands/risk.commands.js';
import { registerImportCommand } from './commands/import.command.js';
import { registerWorkerCommand } from './commands/worker.command.js';
import { registerDatalakeCommands } from './commands/datalake.command.js';
import { registerEraseCommand } from './commands/erase.command.js';
import { withContainer } from './cli-context.js';

/** The `paylens` command line: every command, none run yet. */
export function buildProgram(): Command {
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
  registerUserCommands(program);
  registerRiskCommands(program);
  registerImportCommand(program);
  registerWorkerCommand(program);
  registerDatalakeCommands(program);
  registerEraseCommand(program);
  return program;
}
