/**
 * AWS's own time, read from the `Date` header of the replies an SDK client already gets: a laptop
 * whose clock is wrong must not judge how old the monitor's last run is by that clock alone.
 */

/** The part of an SDK v3 client this needs (every client has it). */
interface WithMiddleware {
  readonly middlewareStack: {
    add(
      middleware: (next: (args: never) => Promise<{ response: unknown }>) => (args: never) => Promise<{ response: unknown }>,
      options: { step: 'deserialize'; name: string },
    ): void;
  };
}

function dateHeader(response: unknown): string | null {
  const headers = (response as { headers?: Record<string, string | undefined> } | null)?.headers;
  if (!headers) return null;
  for (const [name, value] of Object.entries(headers)) if (name.toLowerCase() === 'date' && typeof value === 'string') return value;
  return null;
}

export class ServerClock {
  private seen: { readonly serverMs: number; readonly localMs: number } | null = null;

  constructor(private readonly local: () => number = Date.now) {}

  /** Read the Date header of every reply `client` gets from now on. */
  watch(client: WithMiddleware): void {
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const serverMs = Date.parse(dateHeader(result.response) ?? '');
        if (Number.isFinite(serverMs)) this.seen = { serverMs, localMs: this.local() };
        return result;
      },
      { step: 'deserialize', name: 'keyMonitorServerClock' },
    );
  }

  /** AWS's time now (to the second a Date header gives), or null when no reply carried one. */
  now(): number | null {
    return this.seen ? this.seen.serverMs + (this.local() - this.seen.localMs) : null;
  }
}
