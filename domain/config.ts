import { z } from 'zod';
import { ConfigError } from './errors';

/**
 * The process configuration, parsed once from the environment. Temporal connection settings come from
 * `@temporalio/envconfig` (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE
 * and its TOML file); the rest from the variables below. Unset servers are provisioned locally (scripts/).
 */

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);
const dbName = (fallback: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,63}$/, 'must be 1-63 letters, digits, "_" or "-"')
    .default(fallback);
const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Environment variables read by this process, with their meaning (printed by `crm-books-sync config`). */
export const ENV_DOC: Record<string, string> = {
  TEMPORAL_ADDRESS: 'host:port of a Temporal frontend; unset = start the local dev server',
  TEMPORAL_NAMESPACE: 'Temporal namespace (default "default")',
  TEMPORAL_API_KEY: 'API key for Temporal Cloud (implies TLS)',
  TEMPORAL_TLS_CLIENT_CERT_PATH: 'mTLS client certificate (with TEMPORAL_TLS_CLIENT_KEY_PATH)',
  TEMPORAL_PROFILE: 'profile in the Temporal TOML config file (TEMPORAL_CONFIG_FILE)',
  CBS_TASK_QUEUE: 'task queue of the workers (default "crm-books-sync")',
  MONGODB_URI: 'MongoDB (or FerretDB) connection string; unset = start the local Mongo-wire server',
  CBS_CRM_DB: 'database of the CRM store (default "crm")',
  CBS_BOOKS_DB: 'database of the Books store (default "books")',
  CBS_SYNC_DB: 'database of the sync-state store (default "sync_state")',
  CBS_HTTP_PORT: 'port of the HTTP API (default 3000)',
  CBS_HTTP_HOST: 'interface the HTTP API listens on (default "127.0.0.1"; "0.0.0.0" for all)',
  CBS_WEBHOOK_TOKEN:
    'verification token CRM change notifications must carry (secret; unset: the webhook refuses every call)',
  CBS_LOG_LEVEL: `log level: ${LOG_LEVELS.join(', ')} (default "info")`,
  CBS_CACHE_DIR: 'where provisioned server binaries and local data live (default ~/.cache/crm-books-sync)',
  CBS_TEMPORAL_PORT: 'gRPC port of the local Temporal dev server (default 7233)',
  CBS_TEMPORAL_UI_PORT: 'Web UI port of the local Temporal dev server (default 8233)',
  CBS_MONGO_PORT: 'port of the local Mongo-wire server (default 27027)',
};

const EnvSchema = z.object({
  CBS_TASK_QUEUE: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1-100 letters, digits, ".", "_" or "-"')
    .default('crm-books-sync'),
  MONGODB_URI: optionalText.pipe(
    z
      .string()
      .regex(/^mongodb(\+srv)?:\/\/\S+$/, 'must start with mongodb:// or mongodb+srv://')
      .optional(),
  ),
  CBS_CRM_DB: dbName('crm'),
  CBS_BOOKS_DB: dbName('books'),
  CBS_SYNC_DB: dbName('sync_state'),
  CBS_HTTP_PORT: port(3000),
  CBS_HTTP_HOST: z
    .string()
    .regex(/^[A-Za-z0-9.:-]{1,255}$/, 'must be a host name or IP address')
    .default('127.0.0.1'),
  CBS_WEBHOOK_TOKEN: optionalText.pipe(z.string().min(16, 'must be at least 16 characters').optional()),
  CBS_LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  CBS_CACHE_DIR: optionalText,
  CBS_TEMPORAL_PORT: port(7233),
  CBS_TEMPORAL_UI_PORT: port(8233),
  CBS_MONGO_PORT: port(27027),
});

/** What envconfig resolved for Temporal; only the fields we validate or report. */
export interface TemporalProfileInput {
  address?: string | undefined;
  namespace?: string | undefined;
  apiKey?: string | undefined;
  tls?: unknown;
}

const TemporalSchema = z.object({
  address: optionalText.pipe(
    z
      .string()
      .regex(/^[^\s:/]+:\d{1,5}$/, 'must be host:port, e.g. localhost:7233')
      .optional(),
  ),
  namespace: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,255}$/, 'must be letters, digits, ".", "_" or "-"')
    .default('default'),
  apiKey: optionalText,
  tls: z.unknown().optional(),
});

export interface AppConfig {
  temporal: {
    /** Undefined: start or reuse the local dev server. */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    apiKey: string | undefined;
    tls: unknown;
  };
  mongo: { uri: string | undefined; crmDb: string; booksDb: string; syncDb: string };
  http: { port: number; host: string; webhookToken: string | undefined };
  logLevel: (typeof LOG_LEVELS)[number];
  local: { cacheDir: string | undefined; temporalPort: number; temporalUiPort: number; mongoPort: number };
}

function problemsOf(prefix: string, error: z.ZodError, names: Record<string, string> = {}): string[] {
  return error.issues.map((issue) => {
    const key = issue.path.map(String).join('.');
    return `${names[key] ?? `${prefix}${key}`}: ${issue.message}`;
  });
}

/**
 * Parses the environment and the Temporal profile into the app config. Pure; throws one ConfigError
 * listing every problem found, never just the first.
 */
export function parseConfig(
  env: Record<string, string | undefined>,
  temporal: TemporalProfileInput,
): AppConfig {
  const envResult = EnvSchema.safeParse(env);
  const temporalResult = TemporalSchema.safeParse(temporal);
  const problems = [
    ...(envResult.success ? [] : problemsOf('', envResult.error)),
    ...(temporalResult.success
      ? []
      : problemsOf('temporal.', temporalResult.error, {
          address: 'TEMPORAL_ADDRESS',
          namespace: 'TEMPORAL_NAMESPACE',
        })),
  ];
  if (!envResult.success || !temporalResult.success) throw new ConfigError(problems);
  const e = envResult.data;
  const t = temporalResult.data;
  return {
    temporal: {
      address: t.address,
      namespace: t.namespace,
      taskQueue: e.CBS_TASK_QUEUE,
      apiKey: t.apiKey,
      tls: t.tls,
    },
    mongo: { uri: e.MONGODB_URI, crmDb: e.CBS_CRM_DB, booksDb: e.CBS_BOOKS_DB, syncDb: e.CBS_SYNC_DB },
    http: { port: e.CBS_HTTP_PORT, host: e.CBS_HTTP_HOST, webhookToken: e.CBS_WEBHOOK_TOKEN },
    logLevel: e.CBS_LOG_LEVEL,
    local: {
      cacheDir: e.CBS_CACHE_DIR,
      temporalPort: e.CBS_TEMPORAL_PORT,
      temporalUiPort: e.CBS_TEMPORAL_UI_PORT,
      mongoPort: e.CBS_MONGO_PORT,
    },
  };
}

/** Hides credentials in a connection string so it can be logged. */
export function redactUri(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/)([^@/]+)@/, (_m, scheme: string) => `${scheme}***@`);
}

/** The config as it may be printed or logged: no secrets. */
export function describeConfig(config: AppConfig): Record<string, unknown> {
  return {
    ...config,
    temporal: {
      ...config.temporal,
      apiKey: config.temporal.apiKey ? '***' : undefined,
      tls: Boolean(config.temporal.tls),
    },
    mongo: { ...config.mongo, uri: config.mongo.uri ? redactUri(config.mongo.uri) : undefined },
    http: { ...config.http, webhookToken: config.http.webhookToken ? '***' : undefined },
  };
}
