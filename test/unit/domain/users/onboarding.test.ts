import {
  addsAtFirstFinanceAction,
  firstUseBatchId,
  onboardingOf,
  startsMigrationWindow,
  type UserOnboarding,
} from '../../../../domain/users/onboarding';

/*
 * How a Books org's users become integration users (issue 18 item 6), decided once and recorded: the
 * recorded answer wins over what a later enable sees, so a retried first enable is not a re-enable.
 */

describe('onboardingOf', () => {
  it.each<[string, UserOnboarding | undefined, boolean, UserOnboarding]>([
    ['a new integration, first enable', undefined, false, 'from_start'],
    ['an integration enabled before, nothing recorded', undefined, true, 'migration'],
    [
      'a retried first enable: the integration is saved, from_start recorded',
      'from_start',
      true,
      'from_start',
    ],
    ['a re-enable of a new integration', 'from_start', true, 'from_start'],
    ['a re-enable of an existing integration', 'migration', true, 'migration'],
  ])('%s', (_, recorded, existed, expected) => {
    expect(onboardingOf(recorded, existed)).toBe(expected);
  });
});

describe('what each onboarding does', () => {
  it.each<[UserOnboarding | undefined, boolean, boolean]>([
    ['from_start', false, true],
    ['migration', true, false],
    [undefined, false, false],
  ])('%s: starts the window %s, adds at the first finance action %s', (onboarding, window, adds) => {
    if (onboarding !== undefined) expect(startsMigrationWindow(onboarding)).toBe(window);
    expect(addsAtFirstFinanceAction(onboarding)).toBe(adds);
  });

  it('names the first-use batch after the user', () => {
    expect(firstUseBatchId('4001')).toBe('first-use-4001');
  });
});
