import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { makeTelemetryFilterString, type TelemetryOptions } from '@temporalio/worker';
import pino from 'pino';
import type { AppConfig } from '../domain/config';

/** Structured JSON logs on stderr, so stdout stays for command output and `--json` summaries. */
export function createLogger(level: AppConfig['logLevel']): pino.Logger {
  return pino(
    {
      level,
      base: { service: 'crm-books-sync' },
      // Credentials must never reach a log line, whatever a caller passes in.
      redact: { paths: ['*.apiKey', '*.password', '*.uri', 'apiKey', 'password'], censor: '***' },
    },
    pino.destination(2),
  );
}

/**
 * Warnings the SDK's core repeats for every worker it starts against a server that lacks a capability (the
 * time-skipping test server lacks this one): said once, or not at all where it is known (the tests).
 */
const REPEATED_WARNINGS = [/^Temporal Server 1\.16\.0 or newer is required to guarantee/];

/**
 * The core SDK's own log lines (Rust) go to the Runtime's logger, so they come out filtered and in the same
 * format as the rest instead of straight to the console: warnings of the core, errors of the rest.
 */
export const FORWARD_CORE_LOGS: TelemetryOptions = {
  logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN', other: 'ERROR' }) },
};

/**
 * `logger` without the repeated capability warnings: the first of each passes when `keepFirst`, the rest
 * (or all) are dropped.
 */
export function withoutRepeatedWarnings(logger: Logger, opts: { keepFirst: boolean }): Logger {
  const seen = new Set<RegExp>();
  const noise = (message: string) => {
    const pattern = REPEATED_WARNINGS.find((p) => p.test(message));
    if (!pattern) return false;
    if (opts.keepFirst && !seen.has(pattern)) {
      seen.add(pattern);
      return false;
    }
    return true;
  };
  const at =
    (level: LogLevel) =>
    (message: string, meta?: LogMetadata): void => {
      if (!noise(message)) logger.log(level, message, meta);
    };
  return {
    log: (level, message, meta) => at(level)(message, meta),
    trace: at('TRACE'),
    debug: at('DEBUG'),
    info: at('INFO'),
    warn: at('WARN'),
    error: at('ERROR'),
  };
}

/**
 * Routes the Temporal SDK's own logs (worker, workflow and activity loggers, the core's) into pino. The
 * worker's lifecycle chatter at INFO ("Worker state changed", "No Nexus services registered") goes to debug:
 * `npm start` says in a few readable lines what an operator needs; warnings and errors stay as they are.
 */
export function temporalLogger(logger: pino.Logger): Logger {
  const map = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => {
    const quiet = level === 'INFO' && meta?.sdkComponent === 'worker';
    logger[quiet ? 'debug' : map[level]](meta ?? {}, message);
  };
  return withoutRepeatedWarnings(
    {
      log,
      trace: (m, meta) => log('TRACE', m, meta),
      debug: (m, meta) => log('DEBUG', m, meta),
      info: (m, meta) => log('INFO', m, meta),
      warn: (m, meta) => log('WARN', m, meta),
      error: (m, meta) => log('ERROR', m, meta),
    },
    { keepFirst: true },
  );
}

/** A logger for the workflow bundler: its report (every module, one long line) is left out; problems pass. */
export function bundlerLogger(logger: Logger): Logger {
  const drop = () => undefined;
  return {
    log: (level, message, meta) => {
      if (level === 'WARN' || level === 'ERROR') logger.log(level, message, meta);
    },
    trace: drop,
    debug: drop,
    info: drop,
    warn: (message, meta) => logger.warn(message, meta),
    error: (message, meta) => logger.error(message, meta),
  };
}
