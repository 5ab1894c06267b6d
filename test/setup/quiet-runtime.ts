import { DefaultLogger, Runtime } from '@temporalio/worker';
import { FORWARD_CORE_LOGS, withoutRepeatedWarnings } from '../../workers/logging';

// The SDK logs every worker state change at INFO; tests only need warnings and errors. The core's own lines
// come through this logger too, without the capability warning the time-skipping server earns every worker.
Runtime.install({
  logger: withoutRepeatedWarnings(new DefaultLogger('WARN'), { keepFirst: false }),
  telemetryOptions: FORWARD_CORE_LOGS,
});
