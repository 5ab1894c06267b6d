import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
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

/** Routes the Temporal SDK's own logs (worker, workflow and activity loggers) into pino. */
export function temporalLogger(logger: pino.Logger): Logger {
  const at =
    (level: 'trace' | 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, meta?: LogMetadata): void =>
      logger[level](meta ?? {}, message);
  return {
    log(level: LogLevel, message: string, meta?: LogMetadata) {
      const map = { TRACE: 'trace', DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;
      at(map[level])(message, meta);
    },
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
}
