import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../cdk/config.js';
import { resolveKeys } from '../../cdk/constructs/monitor-props.js';
import { parseMonitoredKeys } from '../../src/monitor/runtime-config.js';

/**
 * The security watch's per-key settings: the same rule in the context (cdk.json / -c keys=…), the
 * construct's props and the key list the check Lambda reads; a bad value is named, never ignored.
 */
const get = (ctx: Record<string, unknown>) => (name: string) => ctx[name];
const key = { name: 'trading', secretName: 'prod/trading', expectTrade: true };
const settings = {
  securityWatch: true,
  fundsDropPercent: 30,
  assetVanishedUsd: 5000,
  botClientOidPrefix: 'bot-7f3a-',
  allowedWithdrawalAddresses: ['bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh'],
  allowedWithdrawalClientWidPrefix: 'payout-',
};

function named(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('accepted');
}

describe('security watch settings', () => {
  it('are read from the context and from the Lambda’s key list alike', () => {
    const [fromContext] = loadConfig(get({ keys: JSON.stringify([{ ...key, ...settings }]) })).keys;
    expect(fromContext).toMatchObject(settings);
    const [fromFile] = parseMonitoredKeys(JSON.stringify([{ name: 'trading', secretId: 'prod/trading', expectTrade: true, ...settings }]));
    expect(fromFile).toMatchObject(settings);
  });

  it.each([
    [{ securityWatch: 'no' }, 'keys[0].securityWatch: must be true or false'],
    [{ fundsDropPercent: 0 }, 'keys[0].fundsDropPercent: expected a percentage above 0, at most 100'],
    [{ fundsDropPercent: '25' }, 'keys[0].fundsDropPercent: expected a percentage above 0, at most 100'],
    [{ assetVanishedUsd: -1 }, 'keys[0].assetVanishedUsd: expected a positive amount in USD'],
    [{ botClientOidPrefix: 'bot 1' }, 'keys[0].botClientOidPrefix: letters, digits and _ . : - only (1–36)'],
    [{ allowedWithdrawalAddresses: 'bc1q' }, 'keys[0].allowedWithdrawalAddresses: expected a list of addresses'],
    [{ allowedWithdrawalClientWidPrefix: '' }, 'keys[0].allowedWithdrawalClientWidPrefix: letters, digits and _ . : - only (1–36)'],
    [{ fundsDropPrecent: 25 }, 'keys[0].fundsDropPrecent: unknown field'],
  ])('%o is refused at synth with the setting named', (bad, message) => {
    expect(named(() => loadConfig(get({ keys: JSON.stringify([{ ...key, ...bad }]) })))).toContain(message);
    if (!('fundsDropPrecent' in bad)) expect(named(() => resolveKeys([{ ...key, ...(bad as object) } as never]))).toBe(message);
  });
});
