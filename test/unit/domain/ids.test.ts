import { wiringCheckWorkflowId } from '../../../domain/ids';

describe('workflow ids', () => {
  it('are deterministic', () => {
    expect(wiringCheckWorkflowId('abc-1')).toBe('wiring-check/abc-1');
    expect(wiringCheckWorkflowId('abc-1')).toBe(wiringCheckWorkflowId('abc-1'));
  });

  it.each(['', 'a/b', 'a b', '$where', 'x'.repeat(129)])('refuse the unsafe part %j', (part) => {
    expect(() => wiringCheckWorkflowId(part)).toThrow('checkId');
  });
});
