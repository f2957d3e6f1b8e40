import { ackStore } from '../aws/ack-store.js';
import { dynamoDbClient } from '../aws/dynamodb-call.js';
import { DynamoIncidentStore } from '../aws/incident-store.js';
import { SqsNotificationQueue, lazySqsClient } from '../aws/notification-queue.js';
import { findDeployedMonitor } from '../aws/stack-outputs.js';
import { displaySafe } from '../exchange/text-safety.js';
import { ackText, MAX_ACK_BY, openIncidents } from '../monitor/acknowledge.js';
import { acknowledgeIncident, type AckScope } from '../monitor/acknowledge-run.js';
import { DIAGNOSIS_TABLE } from '../monitor/diagnosis-table.js';
import { utc } from '../monitor/incident-messages.js';
import type { AckOptions } from './args.js';
import { JSON_SCHEMA_VERSION } from './format.js';
import type { Io } from './io.js';

/** Exit statuses of `key-monitor ack` (USAGE and README say the same). */
export const ACK_EXIT = { acknowledged: 0, awsFailed: 1, usage: 2, noOpenIncident: 3, ambiguous: 4, alreadyAcknowledged: 5 } as const;

/** Who is acknowledging, and where the name came from (the output says which). */
export interface Caller {
  readonly name: string;
  readonly from: '--by' | 'aws-identity' | 'USER';
}

/** The last part of an identity ARN: a user's name, or an assumed role's session name (usually the person). */
export function identityName(arn: string): string | null {
  const m = /^arn:aws[\w-]*:(?:iam|sts)::\d*:(?:user\/(?:.*\/)?([^/]+)|assumed-role\/[^/]+\/([^/]+)|(root))$/.exec(arn);
  const name = m ? (m[1] ?? m[2] ?? m[3] ?? null) : null;
  return name ? ackText(name, MAX_ACK_BY) || null : null;
}

async function awsIdentity(timeoutMs: number): Promise<string | null> {
  try {
    const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
    const { awsClientOptions, callWithDeadline } = await import('../aws/aws-calls.js');
    const sts = new STSClient(awsClientOptions(timeoutMs));
    const res = await callWithDeadline((abortSignal) => sts.send(new GetCallerIdentityCommand({}), { abortSignal }));
    return res.Arn ? identityName(res.Arn) : null;
  } catch {
    // No identity to name (or STS unreachable): $USER is the next best name; the output says which was used.
    return null;
  }
}

export async function whoIsCalling(opts: AckOptions, env: NodeJS.ProcessEnv): Promise<Caller | null> {
  if (opts.by !== null) return { name: opts.by, from: '--by' };
  const aws = await awsIdentity(opts.timeoutMs);
  if (aws) return { name: aws, from: 'aws-identity' };
  const user = ackText(env['USER'] ?? env['USERNAME'] ?? '', MAX_ACK_BY);
  return user ? { name: user, from: 'USER' } : null;
}

const FROM_WORDS: Record<Caller['from'], string> = { '--by': '--by', 'aws-identity': 'your AWS identity', USER: '$USER; your AWS identity could not be read' };

/**
 * `key-monitor ack <key or incident id>`: "I'm on it". The target is a monitored key (its one open
 * incident) or an incident id as `status` shows it (any open incident: a key's, the monitor's). The
 * write is the one every acknowledgement takes (acknowledge-run.ts); the named refusals have their own
 * exit statuses so a script can tell them apart.
 */
export async function ackCommand(opts: AckOptions, io: Io, env: NodeJS.ProcessEnv = process.env, now: () => number = Date.now): Promise<number> {
  const deployed = await findDeployedMonitor(opts.stack, opts.timeoutMs);
  const store = new DynamoIncidentStore(dynamoDbClient({ timeoutMs: opts.timeoutMs }), deployed.stateTable, 30);
  const shown = displaySafe(opts.target, 80);
  const fail = (code: number, kind: string, message: string, extra: Record<string, unknown> = {}) => {
    io.err(`key-monitor: ack: ${message}\n`);
    if (opts.json)
      io.out(
        JSON.stringify({ schemaVersion: JSON_SCHEMA_VERSION, stack: deployed.stackName, acknowledged: false, error: { kind, message }, ...extra }, null, 2) +
          '\n',
      );
    return code;
  };

  const names = await store.knownKeys();
  let scope: AckScope | null = null;
  let incidentId: string | null = null;
  if (names.includes(opts.target)) scope = { type: 'key', key: opts.target };
  else {
    // An incident id: whichever state item holds it open.
    const { keys, monitor } = await store.load(names);
    const holders: AckScope[] = [
      ...(openIncidents(monitor.state).some((o) => o.incident.id === opts.target) ? [{ type: 'monitor' } as const] : []),
      ...[...keys].filter(([, s]) => openIncidents(s.state).some((o) => o.incident.id === opts.target)).map(([key]) => ({ type: 'key', key }) as const),
    ];
    scope = holders[0] ?? null;
    incidentId = opts.target;
  }
  if (scope === null)
    return fail(
      ACK_EXIT.noOpenIncident,
      'no-open-incident',
      `no monitored key and no open incident is named "${shown}" (key-monitor status lists the keys and their open incidents)`,
    );

  const caller = await whoIsCalling(opts, env);
  if (!caller) return fail(ACK_EXIT.usage, 'usage', 'could not tell who you are (no AWS identity name, no $USER): pass --by NAME');
  const outcome = await acknowledgeIncident(
    scope,
    { incidentId, diagnosis: null, ack: { by: caller.name, at: now(), note: opts.note, via: 'cli' } },
    {
      store: ackStore(store),
      sink: new SqsNotificationQueue(lazySqsClient({ timeoutMs: opts.timeoutMs }), deployed.queueUrl),
      source: deployed.stackName,
      links: () => (deployed.dashboardUrl ? [{ label: 'Dashboard', url: deployed.dashboardUrl }] : []),
    },
  );
  const what = scope.type === 'key' ? `key ${scope.key}` : 'the monitor-level incident';
  if (!outcome.ok) {
    const r = outcome.refusal;
    switch (r.reason) {
      case 'no-open-incident':
        return fail(ACK_EXIT.noOpenIncident, r.reason, incidentId ? `incident ${shown} is no longer open` : `${what} has no open incident`);
      case 'ambiguous':
        return fail(ACK_EXIT.ambiguous, r.reason, `${what} has ${r.ids.length} open incidents: name one by its id (${r.ids.join(', ')})`, { ids: r.ids });
      case 'already-acknowledged':
        return fail(ACK_EXIT.alreadyAcknowledged, r.reason, `incident ${r.incidentId} is already acknowledged by ${r.ack.by} (since ${utc(r.ack.at)})`, {
          incidentId: r.incidentId,
          acknowledgedBy: r.ack.by,
          acknowledgedAt: new Date(r.ack.at).toISOString(),
        });
      case 'changed':
        // The CLI acknowledges whatever the incident says now, so a change only shows up as a lost race.
        return fail(ACK_EXIT.noOpenIncident, r.reason, `incident ${r.incidentId} changed while acknowledging it; run ack again`);
      case 'busy':
        return fail(ACK_EXIT.awsFailed, r.reason, `${what} kept changing under the acknowledgement (check runs writing it); run ack again`);
    }
  }
  const { incident } = outcome;
  const ack = incident.ack as NonNullable<typeof incident.ack>;
  if (!outcome.announced) io.err('key-monitor: ack: acknowledged, but the notification queue did not take the announcement; the next check run sends it\n');
  if (opts.json) {
    io.out(
      JSON.stringify(
        {
          schemaVersion: JSON_SCHEMA_VERSION,
          stack: deployed.stackName,
          acknowledged: true,
          incidentId: incident.id,
          key: scope.type === 'key' ? scope.key : null,
          diagnosis: incident.diagnosis,
          by: ack.by,
          byFrom: caller.from,
          at: new Date(ack.at).toISOString(),
          note: ack.note,
          announced: outcome.announced,
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    io.out(
      `Acknowledged ${what} (${DIAGNOSIS_TABLE[incident.diagnosis].title}) as ${ack.by} (from ${FROM_WORDS[caller.from]}).\n` +
        'Reminders stop while it is acknowledged; a change of diagnosis alerts again. Every channel is told who is on it.\n',
    );
  }
  return ACK_EXIT.acknowledged;
}
