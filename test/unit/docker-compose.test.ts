import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { parseConfig } from '../../domain/config';

/** Docker does not run on the development machines, so the compose file is checked by reading it. */
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  ports?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] };
}
const compose = parse(readFileSync(path.join(__dirname, '..', '..', 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
};
const svc = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`service ${name} missing`);
  return s;
};

describe('docker-compose.yml', () => {
  it('has the Temporal server, its UI, MongoDB and the worker', () => {
    expect(Object.keys(compose.services)).toEqual(
      expect.arrayContaining(['temporal', 'temporal-ui', 'mongodb', 'worker']),
    );
  });

  it('publishes the Temporal frontend, the UI, MongoDB and the HTTP API', () => {
    expect(svc('temporal').ports).toContain('7233:7233');
    expect(svc('temporal-ui').ports).toContain('8080:8080');
    expect(svc('mongodb').ports).toContain('27017:27017');
    expect(svc('worker').ports).toContain(`${svc('worker').environment?.CBS_HTTP_PORT}:3000`);
  });

  it('runs MongoDB as a single-node replica set that initiates itself', () => {
    const mongo = svc('mongodb');
    expect(mongo.command).toEqual(expect.arrayContaining(['--replSet', 'rs0']));
    expect(mongo.healthcheck?.test.join(' ')).toContain("rs.initiate({ _id: 'rs0'");
  });

  it('points the UI and the worker at the services by their compose names', () => {
    expect(svc('temporal-ui').environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
    const env = svc('worker').environment ?? {};
    expect(env.TEMPORAL_ADDRESS).toBe('temporal:7233');
    expect(String(env.MONGODB_URI)).toMatch(/^mongodb:\/\/mongodb:27017\/.*replicaSet=rs0/);
  });

  it('gives the worker an environment our config accepts, with external servers (nothing embedded)', () => {
    const env = Object.fromEntries(
      Object.entries(svc('worker').environment ?? {}).map(([k, v]) => [k, String(v)]),
    );
    const config = parseConfig(env, { address: env.TEMPORAL_ADDRESS, namespace: env.TEMPORAL_NAMESPACE });
    expect(config.temporal.address).toBe('temporal:7233');
    expect(config.mongo.uri).toBe(env.MONGODB_URI);
  });

  it('starts the worker only once Temporal and MongoDB are healthy', () => {
    expect(svc('worker').depends_on).toEqual({
      temporal: { condition: 'service_healthy' },
      mongodb: { condition: 'service_healthy' },
    });
    expect(svc('worker').build).toBe('.');
  });
});
