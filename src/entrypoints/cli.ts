import { ConfigError, loadConfig } from '../platform/config/config.js';
import { startTelemetry, type Telemetry } from '../platform/telemetry/telemetry.js';
import { withSpan } from '../platform/tracing.js';

/**
 * Telemetry from the environment when it is valid; a command that needs the configuration reports
 * a bad variable itself (exit 2), and `--help` works whatever the environment.
 */
function telemetryFor(command: string | undefined): Telemetry | null {
  try {
    const config = loadConfig();
    return startTelemetry({
      serviceName: command === 'worker' ? 'paylens-worker' : 'paylens-cli',
      otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT,
      sentryDsn: config.SENTRY_DSN,
    });
  } catch (error) {
    if (error instanceof ConfigError) return null;
    throw error;
  }
}

const requested = process.argv[2];
const telemetry = telemetryFor(requested);
// Imported only now: the instrumentations patch pg and ioredis as they load.
const { buildProgram } = await import('../cli/program.js');
const program = buildProgram();
const command = program.commands.find((c) => c.name() === requested)?.name();

// A one-shot command is one trace; the worker runs for days, so each retry it makes is a trace of its own.
const run = () => program.parseAsync(process.argv);
const running =
  command === undefined || command === 'worker'
    ? run()
    : withSpan(`paylens ${command}`, { 'paylens.command': command }, run);
running
  .then(() => telemetry?.shutdown())
  .catch(async (error: unknown) => {
    console.error(error instanceof ConfigError ? error.message : error);
    await telemetry?.shutdown();
    process.exit(error instanceof ConfigError ? 2 : 1);
  });
