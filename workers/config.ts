import { loadClientConfigProfile, toClientOptions, type ClientConnectConfig } from '@temporalio/envconfig';
import { parseConfig, type AppConfig } from '../domain/config';
import { ConfigError } from '../domain/errors';

export interface LoadedConfig {
  app: AppConfig;
  /** Connection options for Temporal (TLS, API key, metadata) as envconfig resolved them. */
  temporalConnect: ClientConnectConfig;
}

/**
 * Reads the environment (and the Temporal TOML profile, if any) once. Throws a ConfigError listing every
 * problem; never logs secrets.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let profile;
  try {
    profile = loadClientConfigProfile({ overrideEnvVars: stringEnv(env) });
  } catch (err) {
    throw new ConfigError([`Temporal client profile: ${err instanceof Error ? err.message : String(err)}`]);
  }
  const app = parseConfig(env, profile);
  return { app, temporalConnect: toClientOptions(profile) };
}

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (typeof v === 'string') out[k] = v;
  return out;
}
