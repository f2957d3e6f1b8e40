import { describe, expect, it } from 'vitest';
import { buildChannels, parseChannelsSecret } from '../../src/channels/config.js';

const SLACK = 'https://hooks.slack.com/services/T0001/B0001/slackSecretToken0123456789';
const TEAMS = 'https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=teamsSigSecret0123456789';
const DISCORD = 'https://discord.com/api/webhooks/112233445566778899/discordSecretToken0123456789';
const TOKEN = '123456789:telegramSecretToken0123456789AB';
const WHSEC = `whsec_${Buffer.from('signing-Secret-bytes-for-tests!!').toString('base64')}`;

const GOOD = {
  slack: { webhookUrl: SLACK },
  teams: { webhookUrl: TEAMS },
  telegram: { botToken: TOKEN, chatId: '-1001234567890', messageThreadId: 5 },
  discord: { webhookUrl: DISCORD },
  webhook: { url: 'https://ops.example.com/hooks/ekm', signingSecret: WHSEC },
};

/** Problems for one secret, with a check that none of them quotes a value from it. */
function problemsFor(secret: unknown): { field: string; problem: string }[] {
  const json = typeof secret === 'string' ? secret : JSON.stringify(secret);
  const { problems } = parseChannelsSecret(json);
  const text = problems.map((p) => `${p.field} ${p.problem}`).join('\n');
  for (const value of [...valuesIn(secret), SLACK, DISCORD, TOKEN, 'hooks.slack.com', 'discord.com', 'evil.example']) {
    expect(text).not.toContain(value);
  }
  return [...problems];
}

/** Every string and number in a (possibly unparsed) secret: none may appear in a problem. */
function valuesIn(secret: unknown): string[] {
  if (typeof secret === 'string') return secret.length >= 4 ? [secret] : [];
  if (typeof secret === 'number') return String(secret).length >= 4 ? [String(secret)] : [];
  if (Array.isArray(secret)) return secret.flatMap(valuesIn);
  if (secret && typeof secret === 'object') return Object.values(secret).flatMap(valuesIn);
  return [];
}

describe('parseChannelsSecret', () => {
  it('parses a full, good secret', () => {
    const { config, problems } = parseChannelsSecret(JSON.stringify(GOOD));
    expect(problems).toEqual([]);
    expect(config).toEqual({
      slack: { webhookUrl: SLACK },
      teams: { webhookUrl: TEAMS },
      telegram: { botToken: TOKEN, chatId: '-1001234567890', messageThreadId: 5 },
      discord: { webhookUrl: DISCORD },
      webhook: { url: 'https://ops.example.com/hooks/ekm', signingSecret: WHSEC },
    });
  });

  it('every section is optional; no secret at all is no channel and no problem', () => {
    expect(parseChannelsSecret('{}')).toEqual({ config: {}, problems: [] });
    expect(parseChannelsSecret(undefined)).toEqual({ config: {}, problems: [] });
    expect(parseChannelsSecret('  ')).toEqual({ config: {}, problems: [] });
  });

  it('accepts a numeric chat id, an @channel, a raw signing secret and loopback http', () => {
    const { config, problems } = parseChannelsSecret(
      JSON.stringify({
        telegram: { botToken: TOKEN, chatId: -1001234567890, apiBaseUrl: 'http://127.0.0.1:8081' },
        webhook: { url: 'http://[::1]:9000/hook', signingSecret: 'a raw-secret-of-some-length' },
        slack: { webhookUrl: 'http://localhost:3000/services/x' },
      }),
    );
    expect(problems).toEqual([]);
    expect(config.telegram).toEqual({ botToken: TOKEN, chatId: '-1001234567890', apiBaseUrl: 'http://127.0.0.1:8081/' });
    expect(parseChannelsSecret(JSON.stringify({ telegram: { botToken: TOKEN, chatId: '@ekm_alerts' } })).problems).toEqual([]);
  });

  it('refuses http:// to anything but loopback, naming the field and not the URL', () => {
    expect(problemsFor({ slack: { webhookUrl: 'http://hooks.slack.com/services/T/B/slackSecretToken' } })).toEqual([
      { field: 'slack.webhookUrl', problem: 'must use https (http is allowed only for 127.0.0.1, ::1 and localhost)' },
    ]);
    expect(problemsFor({ webhook: { url: 'http://127.0.0.2.evil.example/x' } })).toEqual([
      { field: 'webhook.url', problem: 'must use https (http is allowed only for 127.0.0.1, ::1 and localhost)' },
    ]);
  });

  it('names each bad field and the rule, never the value', () => {
    expect(
      problemsFor({
        slack: { webhookUrl: 'not a url SECRETVALUE' },
        teams: { webhookUrl: 'ftp://evil.example/SECRETVALUE' },
        discord: { webhookUrl: 'https://user:SECRETVALUE@discord.com/api/webhooks/1/x' },
        telegram: { botToken: 'SECRETVALUE', chatId: 'SECRETVALUE channel', messageThreadId: 0 },
        webhook: { url: 42, signingSecret: 'whsec_c2hvcnQ=' },
      }),
    ).toEqual([
      { field: 'slack.webhookUrl', problem: 'is not a valid absolute URL' },
      { field: 'teams.webhookUrl', problem: 'must be an https URL' },
      { field: 'telegram.botToken', problem: 'must be a bot token as BotFather gives it: digits, a colon, then at least 20 letters, digits, _ or -' },
      { field: 'telegram.chatId', problem: 'must be a numeric chat id (e.g. -100…) or an @channelusername' },
      { field: 'telegram.messageThreadId', problem: 'must be a positive integer' },
      { field: 'discord.webhookUrl', problem: 'must not contain a user name or password' },
      { field: 'webhook.url', problem: 'must be a URL string' },
      { field: 'webhook.signingSecret', problem: 'must be whsec_ followed by the base64 of 24 to 64 bytes' },
    ]);
  });

  it('reports missing required fields and sections that are not objects', () => {
    expect(problemsFor({ telegram: {}, slack: null, discord: ['https://discord.com/api/webhooks/1/SECRETVALUE'] })).toEqual([
      { field: 'slack', problem: 'must be an object (leave the section out to disable the channel)' },
      { field: 'telegram.botToken', problem: 'is required' },
      { field: 'telegram.chatId', problem: 'is required' },
      { field: 'discord', problem: 'must be an object (leave the section out to disable the channel)' },
    ]);
  });

  it('unknown sections and fields are errors, with a "did you mean" for near misses', () => {
    expect(
      problemsFor({
        slak: { webhookUrl: SLACK },
        telegram: { botToken: TOKEN, chatid: '-100', chatId: '-100' },
        webhook: { url: 'https://a.example/', secret: 'x' },
      }),
    ).toEqual([
      { field: 'slak', problem: 'unknown field (did you mean "slack"?); known: slack, teams, telegram, discord, webhook' },
      { field: 'telegram.chatid', problem: 'unknown field (did you mean "chatId"?); known: botToken, chatId, messageThreadId, apiBaseUrl, webhookSecretToken' },
      { field: 'webhook.secret', problem: 'unknown field; known: url, signingSecret' },
    ]);
    expect(problemsFor({ slack: { webhookURL: SLACK } })).toEqual([
      { field: 'slack.webhookURL', problem: 'unknown field (did you mean "webhookUrl"?); known: webhookUrl' },
      { field: 'slack.webhookUrl', problem: 'is required' },
    ]);
  });

  it('does not name an unknown key that looks like a pasted token or URL', () => {
    const problems = problemsFor({ slack: { [SLACK]: true, webhookUrl: SLACK }, discordSecretToken0123456789: {} });
    expect(problems).toEqual([
      { field: '<unknown>', problem: 'unknown field, name not shown as it does not look like a field name; known: slack, teams, telegram, discord, webhook' },
      { field: 'slack.<unknown>', problem: 'unknown field, name not shown as it does not look like a field name; known: webhookUrl' },
    ]);
  });

  it('never quotes the secret when it is not JSON (V8’s message would)', () => {
    expect(problemsFor(`{"slack":{"webhookUrl":"${SLACK}"`)).toEqual([{ field: '(secret)', problem: 'is not valid JSON' }]);
    expect(problemsFor('["SECRETVALUE"]')).toEqual([{ field: '(secret)', problem: 'must be a JSON object with one section per channel' }]);
  });

  it('keeps the good sections when another is bad', () => {
    const { config } = parseChannelsSecret(JSON.stringify({ slack: { webhookUrl: SLACK }, discord: { webhookUrl: 'http://discord.com/x' } }));
    expect(Object.keys(config)).toEqual(['slack']);
  });
});

describe('buildChannels', () => {
  it('builds every configured channel, SNS ones from the stack’s topic ARNs', () => {
    const { channels, problems } = buildChannels({
      secretJson: JSON.stringify(GOOD),
      emailTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ekm-alerts',
      chatbotTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ekm-chatbot',
      source: 'ekm-prod',
    });
    expect(problems).toEqual([]);
    expect(channels.map((c) => `${c.name}/${c.transport}`)).toEqual([
      'email/sns',
      'chatbot/sns',
      'slack/http',
      'teams/http',
      'telegram/http',
      'discord/http',
      'webhook/http',
    ]);
    // Each HTTP channel lists its credentials for redaction.
    const secrets = Object.fromEntries(channels.map((c) => [c.name, c.secrets]));
    expect(secrets['slack']).toContain(SLACK);
    expect(secrets['telegram']).toContain(TOKEN);
    expect(secrets['discord']).toContain('discordSecretToken0123456789');
    expect(secrets['teams']).toContain('teamsSigSecret0123456789');
    expect(secrets['webhook']).toContain(WHSEC);
  });

  it('reports a bad topic ARN and a bad section, and still builds the rest', () => {
    const { channels, problems } = buildChannels({
      secretJson: JSON.stringify({ slack: { webhookUrl: SLACK }, teams: { webhookUrl: 'http://x.example/' } }),
      emailTopicArn: 'ekm-alerts',
      source: 'ekm-prod',
    });
    expect(channels.map((c) => c.name)).toEqual(['slack']);
    expect(problems).toEqual([
      { field: 'emailTopicArn', problem: 'is not an SNS topic ARN' },
      { field: 'teams.webhookUrl', problem: 'must use https (http is allowed only for 127.0.0.1, ::1 and localhost)' },
    ]);
  });

  it.each(['constructor', '__proto__', 'toString'])('a top-level field named %s is a secret problem, not a channel', (name) => {
    const built = buildChannels({ source: 'ekm-prod', secretJson: `{"${name}":{"webhookUrl":"https://x.test/a"}}` });
    expect(built.leftOut).toEqual([]);
    expect(built.secretProblems).toHaveLength(1);
  });

  it('with no secret and no topics there is nothing to send to', () => {
    expect(buildChannels({ source: 'ekm-prod' })).toEqual({ channels: [], problems: [], leftOut: [], secretProblems: [], secretUnusable: false });
  });
});
