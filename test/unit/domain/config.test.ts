import { describeConfig, parseConfig, redactUri } from '../../../domain/config';
import { ConfigError } from '../../../domain/errors';

describe('parseConfig', () => {
  it('applies defaults when nothing is set', () => {
    const c = parseConfig({}, {});
    expect(c.temporal).toMatchObject({
      address: undefined,
      namespace: 'default',
      taskQueue: 'crm-books-sync',
    });
    expect(c.mongo).toEqual({ uri: undefined, crmDb: 'crm', booksDb: 'books', syncDb: 'sync_state' });
    expect(c.http.port).toBe(3000);
    expect(c.local).toMatchObject({ temporalPort: 7233, temporalUiPort: 8233, mongoPort: 27027 });
  });

  it('reads every variable', () => {
    const c = parseConfig(
      {
        CBS_TASK_QUEUE: 'q1',
        MONGODB_URI: 'mongodb://u:secret@db:27017/?replicaSet=rs0',
        CBS_CRM_DB: 'crm_test',
        CBS_BOOKS_DB: 'books_test',
        CBS_SYNC_DB: 'sync_test',
        CBS_HTTP_PORT: '8081',
        CBS_LOG_LEVEL: 'debug',
        CBS_TEMPORAL_PORT: '7000',
      },
      { address: 'temporal:7233', namespace: 'prod', apiKey: 'k' },
    );
    expect(c.temporal).toMatchObject({
      address: 'temporal:7233',
      namespace: 'prod',
      taskQueue: 'q1',
      apiKey: 'k',
    });
    expect(c.mongo.crmDb).toBe('crm_test');
    expect(c.http.port).toBe(8081);
    expect(c.logLevel).toBe('debug');
    expect(c.local.temporalPort).toBe(7000);
  });

  it('treats empty strings as unset', () => {
    expect(parseConfig({ MONGODB_URI: '' }, { address: '' }).mongo.uri).toBeUndefined();
  });

  it.each([
    [{ CBS_HTTP_PORT: '70000' }, {}, 'CBS_HTTP_PORT'],
    [{ CBS_HTTP_PORT: 'eighty' }, {}, 'CBS_HTTP_PORT'],
    [{ CBS_LOG_LEVEL: 'loud' }, {}, 'CBS_LOG_LEVEL'],
    [{ MONGODB_URI: 'postgres://x' }, {}, 'MONGODB_URI'],
    [{ CBS_CRM_DB: 'a b' }, {}, 'CBS_CRM_DB'],
    [{ CBS_TASK_QUEUE: 'has space' }, {}, 'CBS_TASK_QUEUE'],
    [{}, { address: 'http://x:7233' }, 'TEMPORAL_ADDRESS'],
    [{}, { namespace: 'bad ns' }, 'TEMPORAL_NAMESPACE'],
  ])('rejects %j %j naming %s', (env, temporal, name) => {
    expect(() => parseConfig(env, temporal)).toThrow(name);
  });

  it('reports every problem at once', () => {
    try {
      parseConfig({ CBS_HTTP_PORT: '0', CBS_LOG_LEVEL: 'x', MONGODB_URI: 'nope' }, { address: 'bad' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.map((p) => p.split(':')[0]).sort()).toEqual([
        'CBS_HTTP_PORT',
        'CBS_LOG_LEVEL',
        'MONGODB_URI',
        'TEMPORAL_ADDRESS',
      ]);
    }
  });

  it('never shows secrets when described', () => {
    const c = parseConfig({ MONGODB_URI: 'mongodb://admin:hunter2@db:27017' }, { apiKey: 'tk-123' });
    const text = JSON.stringify(describeConfig(c));
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('tk-123');
    expect(redactUri('mongodb+srv://a:b@h/x')).toBe('mongodb+srv://***@h/x');
  });
});
