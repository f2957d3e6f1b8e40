import type { Notification, NotificationLink } from '../contract/notification.js';
import { acknowledgedNotification } from './ack-message.js';
import { acknowledgeIn, type AckRefusal, type AckRequest } from './acknowledge.js';
import type { KeyState, MonitorState, OpenIncident, Scope } from './incident-state.js';
import type { NotificationSink, Stored } from './ports.js';

/**
 * Acknowledge an incident: read its state item, set the acknowledgement if the rules allow it, and
 * write it back on condition that the item is still at the version read, with the `acknowledged`
 * notification in its outbox (the path every alert takes), then enqueue it and clear the outbox. A
 * check run that wrote in between makes the write fail: the item is read again and the rules decide
 * again on what it holds now (a resolved or changed incident is refused, not overwritten).
 */
export type AckScope = { readonly type: 'key'; readonly key: string } | { readonly type: 'monitor' };

export interface AckStorePort {
  read(scope: AckScope): Promise<Stored<KeyState> | Stored<MonitorState> | undefined>;
  /** Write over exactly `readVersion`; false when the item moved on. */
  write(scope: AckScope, readVersion: number, state: KeyState | MonitorState, outbox: readonly Notification[]): Promise<boolean>;
  clearOutbox(scope: AckScope, version: number): Promise<void>;
}

export interface AckDeps {
  readonly store: AckStorePort;
  readonly sink: NotificationSink;
  readonly source: string;
  readonly links: (key: string | null) => NotificationLink[];
}

export type AckOutcome =
  | {
      readonly ok: true;
      readonly scope: AckScope;
      readonly incident: OpenIncident;
      readonly notification: Notification;
      /** False when the queue did not take it: it stays in the outbox and the next check run sends it. */
      readonly announced: boolean;
    }
  | { readonly ok: false; readonly refusal: AckRefusal | { readonly reason: 'busy' } };

const ATTEMPTS = 5;

export async function acknowledgeIncident(scope: AckScope, req: AckRequest, deps: AckDeps): Promise<AckOutcome> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const stored = await deps.store.read(scope);
    if (!stored) return { ok: false, refusal: { reason: 'no-open-incident' } };
    const decided = acknowledgeIn<KeyState | MonitorState>(stored.state, req);
    if (!decided.ok) return decided;
    const messageScope: Scope = scope.type === 'key' ? scope : { type: 'monitor', keys: (stored.state as MonitorState).sharedKeys ?? 0 };
    const notification = acknowledgedNotification(messageScope, decided.incident, {
      source: deps.source,
      links: deps.links(scope.type === 'key' ? scope.key : null),
    });
    const readVersion = stored.state.version;
    const outbox = [...stored.outbox.filter((n) => n.id !== notification.id), notification];
    const next = { ...decided.state, version: readVersion + 1 };
    if (!(await deps.store.write(scope, readVersion, next, outbox))) continue;
    let announced = true;
    try {
      await deps.sink.send(outbox);
      await deps.store.clearOutbox(scope, readVersion + 1);
    } catch {
      announced = false;
    }
    return { ok: true, scope, incident: decided.incident, notification, announced };
  }
  return { ok: false, refusal: { reason: 'busy' } };
}
