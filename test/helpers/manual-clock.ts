/**
 * A clock that stands still until the test moves it. Whatever it times (a cooldown, a TTL) cannot run
 * out while a slow step runs, however busy the machine, and ends exactly when the test says.
 */
export class ManualClock {
  constructor(private current = Date.now()) {}

  /** Reads the time; pass it where a component takes `now: () => number`. */
  readonly now = (): number => this.current;

  advance(ms: number): void {
    this.current += ms;
  }
}
