import type { Notification } from '../contract/notification.js';
import type { AckScope, AckStorePort } from '../monitor/acknowledge-run.js';
import type { KeyState, MonitorState } from '../monitor/incident-state.js';
import type { DynamoIncidentStore } from './incident-store.js';

/** The incident store as an acknowledgement uses it: one state item, read and written on its version. */
export function ackStore(store: DynamoIncidentStore): AckStorePort {
  return {
    async read(scope: AckScope) {
      if (scope.type === 'monitor') return (await store.load([])).monitor;
      return (await store.loadKey(scope.key, 0)).key;
    },
    write(scope: AckScope, readVersion: number, state: KeyState | MonitorState, outbox: readonly Notification[]) {
      return scope.type === 'monitor'
        ? store.saveMonitor(readVersion, state as MonitorState, outbox)
        : store.saveKey(scope.key, readVersion, state as KeyState, outbox);
    },
    clearOutbox(scope: AckScope, version: number) {
      return store.clearOutbox(scope.type === 'monitor' ? 'monitor' : { key: scope.key }, version);
    },
  };
}
