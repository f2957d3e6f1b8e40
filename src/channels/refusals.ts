/**
 * What to do when a channel refuses for good: one table, per channel and per answer, quoted by
 * the "stopped accepting alerts" notification the other channels get and by the notifier's log.
 * A rule matches an HTTP status (or any redirect) and/or the service's error code or description;
 * the first match wins and every channel ends with a rule that matches anything. The fixes name
 * the channels-secret field to change, never its value.
 */
import type { ChannelName } from './channel.js';

/** What the channel answered, as far as the fix depends on it. Used for matching only, never shown. */
export interface RefusalAnswer {
  /** HTTP status; absent for SNS. */
  readonly status?: number;
  /** Slack's error code, Telegram's description, Discord's code and message, an SNS error name… */
  readonly code?: string;
}

interface FixRule {
  readonly status?: readonly number[] | 'redirect';
  readonly code?: RegExp;
  readonly fix: string;
}

const SECRET = 'in the channels secret (the stack’s ChannelsSecretName output)';

/** The channel refused this one message, not every message: a rendering the service does not accept. */
const ownMessage = (service: string) =>
  `${service} refused this message itself, not the channel: the monitor built a message ${service} does not accept. ` +
  'Other notifications may still arrive there; report it with the NotifierFunction log line, which names the answer.';

const redirect = (field: string) =>
  `The address answers with a redirect (the endpoint moved), and redirects are not followed: store the current URL as ${field} ${SECRET}.`;

const SLACK_NEW_WEBHOOK = `create a new incoming webhook for the channel (api.slack.com/apps → your app → Incoming Webhooks) and store its URL as slack.webhookUrl ${SECRET}.`;
const TELEGRAM_ADD_BACK = 'add the bot back to the chat (in a channel, as an administrator allowed to post messages) or unblock it, then send it /start.';
const DISCORD_NEW_WEBHOOK = `create a webhook for the channel (channel settings → Integrations → Webhooks) and store its URL as discord.webhookUrl ${SECRET}.`;
const TEAMS_NEW_FLOW = `re-create the "Post to a channel when a webhook request is received" workflow (or turn it back on), give it a co-owner, and store its URL as teams.webhookUrl ${SECRET}.`;

const SNS_RULES: readonly FixRule[] = [
  {
    code: /NotFound|not-found/,
    fix: 'The SNS topic no longer exists (deleted outside the stack): run cdk deploy to re-create it; email recipients then confirm their subscription again.',
  },
  {
    code: /^KMS|kms-denied/,
    fix: 'The topic’s KMS key (the stack’s AlertsKey) is disabled, pending deletion or refuses the notifier: re-enable it or cancel its deletion in the KMS console, then run cdk deploy.',
  },
  {
    code: /Authori[sz]ation|AccessDenied|InvalidSecurity|access-denied/,
    fix: 'The notifier may not publish to the topic: its topic policy, the NotifierFunction role or an organisation policy (SCP) changed. Run cdk deploy to restore the stack’s policies, and check the SCPs.',
  },
  { code: /InvalidParameter|Validation/, fix: ownMessage('SNS') },
  { fix: 'SNS refused the publish for good: the NotifierFunction log names the error class; run cdk deploy to restore the topic and its policies.' },
];

export const REFUSAL_FIXES: Readonly<Record<ChannelName, readonly FixRule[]>> = {
  slack: [
    {
      code: /^(no_service|no_service_id|no_team)$/,
      fix: `The incoming webhook was removed or disabled, or the Slack app that owns it was uninstalled: ${SLACK_NEW_WEBHOOK}`,
    },
    {
      code: /^invalid_token$/,
      fix: `The webhook’s token is no longer valid (its app was uninstalled or its tokens revoked): reinstall the app or ${SLACK_NEW_WEBHOOK}`,
    },
    {
      code: /^no_active_hooks$/,
      fix: `Incoming webhooks are turned off for the Slack app: turn them back on in the app’s settings (api.slack.com/apps), or ${SLACK_NEW_WEBHOOK}`,
    },
    {
      code: /^(channel_not_found|user_not_found)$/,
      fix: `The channel the webhook posts to was deleted, or the app can no longer see it: ${SLACK_NEW_WEBHOOK.replace('for the channel', 'for an existing channel')}`,
    },
    {
      code: /^channel_is_archived$/,
      fix: `The webhook’s channel is archived: unarchive it, or create a webhook for another channel and store its URL as slack.webhookUrl ${SECRET}.`,
    },
    {
      code: /^(action_prohibited|posting_to_general_channel_denied)$/,
      fix: `A workspace setting forbids the app to post in this channel: ask a Slack admin to allow it, or create a webhook for another channel and store its URL as slack.webhookUrl ${SECRET}.`,
    },
    {
      code: /^team_disabled$/,
      fix: `The Slack workspace is disabled: store a webhook of an active workspace as slack.webhookUrl ${SECRET}, or remove the slack section.`,
    },
    { code: /^(invalid_payload|no_text|too_many_attachments)$/, fix: ownMessage('Slack') },
    { status: 'redirect', fix: redirect('slack.webhookUrl') },
    { fix: `Slack refuses the webhook for good: ${SLACK_NEW_WEBHOOK}` },
  ],
  telegram: [
    {
      code: /migrate_to_chat_id|upgraded to a supergroup/i,
      fix: `The group became a supergroup with a new chat id (shown in the answer): set telegram.chatId to it ${SECRET}.`,
    },
    {
      status: [401],
      fix: `Telegram no longer accepts the bot token (revoked or replaced with BotFather’s /revoke or /token): store the bot’s current token as telegram.botToken ${SECRET}.`,
    },
    {
      status: [403],
      code: /rights|administrator/i,
      fix: 'The bot may not post in the chat: make it an administrator allowed to post messages (channels), or let members send messages (groups).',
    },
    { status: [403], fix: `The bot was removed from the chat, or blocked: ${TELEGRAM_ADD_BACK}` },
    {
      status: [400],
      code: /chat not found|peer_id_invalid/i,
      fix: `Telegram knows no such chat for this bot: check telegram.chatId ${SECRET} (a group or channel id starts with -100…, or @channelusername) and that the bot is a member of that chat.`,
    },
    {
      status: [400],
      code: /thread not found|topic/i,
      fix: `The forum topic telegram.messageThreadId was deleted or closed: set it to an open topic ${SECRET}, or remove it to post in General.`,
    },
    { status: [400], code: /rights|administrator|not a member|kicked/i, fix: `The bot may not post in the chat: ${TELEGRAM_ADD_BACK}` },
    { status: [400], fix: ownMessage('Telegram') },
    {
      status: [404],
      fix: `Telegram answers 404 to an unknown bot token or a wrong API address: check telegram.botToken ${SECRET}, and telegram.apiBaseUrl if you set one.`,
    },
    { status: 'redirect', fix: `${redirect('telegram.apiBaseUrl')} Or remove apiBaseUrl to use api.telegram.org.` },
    { fix: `Telegram refuses the bot’s messages for good: check telegram.botToken and telegram.chatId ${SECRET}, and that the bot is still in the chat.` },
  ],
  discord: [
    {
      status: [401],
      fix: `The webhook token is invalid (the webhook was reset or regenerated): copy the webhook URL again (channel settings → Integrations → Webhooks) and store it as discord.webhookUrl ${SECRET}.`,
    },
    { status: [404], fix: `The webhook was deleted (Discord asks that a deleted webhook never be called again): ${DISCORD_NEW_WEBHOOK}` },
    {
      status: [403],
      fix: `The webhook may not post in its channel (its permissions changed, or the channel is locked): allow it in the channel’s permissions, or ${DISCORD_NEW_WEBHOOK}`,
    },
    { status: [400, 413], fix: ownMessage('Discord') },
    { status: 'redirect', fix: redirect('discord.webhookUrl') },
    { fix: `Discord refuses the webhook for good: ${DISCORD_NEW_WEBHOOK}` },
  ],
  teams: [
    {
      status: [401, 403],
      fix: `The workflow no longer accepts this URL (the flow was turned off or changed, its owner left, or its signature key was regenerated): ${TEAMS_NEW_FLOW}`,
    },
    { status: [404, 410], fix: `The workflow or its trigger no longer exists: ${TEAMS_NEW_FLOW}` },
    { status: [413], fix: ownMessage('Teams') },
    { status: [400], fix: `The workflow refused the request: its trigger expects another format. ${TEAMS_NEW_FLOW.replace(/^re-create/, 'Re-create')}` },
    { status: 'redirect', fix: redirect('teams.webhookUrl') },
    { fix: `Teams refuses the workflow URL for good: ${TEAMS_NEW_FLOW}` },
  ],
  webhook: [
    { status: 'redirect', fix: redirect('webhook.url') },
    {
      status: [401, 403],
      fix: `The receiver refuses the request as unauthorised: make it verify the signature with the same secret as webhook.signingSecret (docs/channels.md → Signed webhook), or fix the token in webhook.url ${SECRET}.`,
    },
    { status: [404], fix: `Nothing answers at webhook.url any more: store the receiver’s current URL as webhook.url ${SECRET}.` },
    {
      status: [410],
      fix: `The receiver disabled this endpoint (410 Gone, Standard Webhooks’ “stop sending”): store its new URL as webhook.url ${SECRET}, or remove the webhook section.`,
    },
    { status: [413], fix: 'The receiver refuses bodies this large: notifications are at most 20 KB, so raise its body limit to that.' },
    {
      status: [400, 415, 422],
      fix: 'The receiver refuses the body: make it accept the envelope in docs/channels.md → Signed webhook (type, timestamp, data).',
    },
    { fix: `The receiver refuses the notification for good (a 4xx answer): fix the receiver, or webhook.url ${SECRET}.` },
  ],
  email: SNS_RULES,
  chatbot: SNS_RULES,
};

function matches(rule: FixRule, answer: RefusalAnswer): boolean {
  if (rule.status === 'redirect' && !(answer.status !== undefined && answer.status >= 300 && answer.status < 400)) return false;
  if (Array.isArray(rule.status) && !(answer.status !== undefined && rule.status.includes(answer.status))) return false;
  return rule.code === undefined || rule.code.test(answer.code ?? '');
}

/** The fix for a channel's permanent refusal. Always a sentence: every channel's last rule matches anything. */
export function refusalFix(channel: ChannelName, answer: RefusalAnswer): string {
  const rules = REFUSAL_FIXES[channel];
  // Bounded: the code can be a receiver's whole error body.
  const bounded = { ...answer, code: answer.code?.slice(0, 2_000).trim() };
  return (rules.find((r) => matches(r, bounded)) ?? (rules.at(-1) as FixRule)).fix;
}
