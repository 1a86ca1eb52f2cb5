/** Exponential backoff per key: the first failure waits `initialMs`, each further one twice as long, up to `maxMs`. */
export class RefreshBackoff {
  private readonly entries = new Map<string, { failures: number; until: number }>();

  constructor(
    private readonly options: { initialMs: number; maxMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a failure; returns when the key may be tried again. */
  failed(key: string): number {
    const failures = (this.entries.get(key)?.failures ?? 0) + 1;
    const wait = Math.min(this.options.maxMs, this.options.initialMs * 2 ** Math.min(failures - 1, 30));
    const until = this.now() + wait;
    this.entries.set(key, { failures, until });
    return until;
  }

  succeeded(key: string): void {
    this.entries.delete(key);
  }

  /** When the key may be tried again, if it is still waiting. */
  waitingUntil(key: string): number | undefined {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.until > this.now() ? entry.until : undefined;
  }

  failuresOf(key: string): number {
    return this.entries.get(key)?.failures ?? 0;
  }
}
