import { Writable } from 'node:stream';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import pino from 'pino';
import { bundlerLogger, temporalLogger, withoutRepeatedWarnings } from '../../../workers/logging';

const CAPABILITY =
  'Temporal Server 1.16.0 or newer is required to guarantee that the latest heartbeat details are preserved ' +
  'when an activity fails; the server did not advertise the activity_failure_include_heartbeat capability';

/** A Temporal logger that records what reaches it. */
function recording(): { logger: Logger; lines: [LogLevel, string][] } {
  const lines: [LogLevel, string][] = [];
  const log = (level: LogLevel, message: string, _meta?: LogMetadata) => void lines.push([level, message]);
  return {
    lines,
    logger: {
      log,
      trace: (m) => log('TRACE', m),
      debug: (m) => log('DEBUG', m),
      info: (m) => log('INFO', m),
      warn: (m) => log('WARN', m),
      error: (m) => log('ERROR', m),
    },
  };
}

/** A pino logger at `level` writing JSON lines into an array. */
function pinoInto(level: pino.Level): { logger: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}

describe('withoutRepeatedWarnings', () => {
  it('drops the capability warning every worker earns on the test server, and nothing else', () => {
    const { logger, lines } = recording();
    const quiet = withoutRepeatedWarnings(logger, { keepFirst: false });
    quiet.warn(CAPABILITY);
    quiet.log('WARN', CAPABILITY);
    quiet.warn('Activity failed');
    quiet.error('boom');
    quiet.info('hello');
    expect(lines).toEqual([
      ['WARN', 'Activity failed'],
      ['ERROR', 'boom'],
      ['INFO', 'hello'],
    ]);
  });

  it('keeps the first one when asked to', () => {
    const { logger, lines } = recording();
    const once = withoutRepeatedWarnings(logger, { keepFirst: true });
    for (let i = 0; i < 3; i++) once.warn(CAPABILITY);
    expect(lines).toEqual([['WARN', CAPABILITY]]);
  });
});

describe('bundlerLogger', () => {
  it('passes warnings and errors only: the report of every module stays out', () => {
    const { logger, lines } = recording();
    const bundler = bundlerLogger(logger);
    bundler.info('asset workflow-bundle-123.js 4.39 MiB [emitted] …');
    bundler.log('INFO', 'Workflow bundle created');
    bundler.debug('details');
    bundler.warn('a module could not be resolved');
    bundler.log('ERROR', 'webpack failed');
    expect(lines).toEqual([
      ['WARN', 'a module could not be resolved'],
      ['ERROR', 'webpack failed'],
    ]);
  });
});

describe('temporalLogger', () => {
  it("puts the worker's lifecycle INFO at debug, keeps the rest at its level, says a repeated warning once", () => {
    const { logger, lines } = pinoInto('info');
    const sdk = temporalLogger(logger);
    sdk.info('Worker state changed', { sdkComponent: 'worker', state: 'RUNNING' });
    sdk.info('a workflow said hello', { sdkComponent: 'workflow' });
    sdk.warn('Activity failed', { sdkComponent: 'worker' });
    sdk.warn(CAPABILITY);
    sdk.warn(CAPABILITY);
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      [30, 'a workflow said hello'],
      [40, 'Activity failed'],
      [40, CAPABILITY],
    ]);
  });
});
