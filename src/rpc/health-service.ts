import { EventEmitter, on } from "node:events";
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import { type Health, HealthCheckResponse_ServingStatus } from "../../gen/es/grpc/health/v1/health_pb.js";

/** What a component reports about itself; an unknown service is simply absent from the board. */
export type ServingStatus = "SERVING" | "NOT_SERVING";

/** The empty service name stands for the whole server, as the gRPC health protocol defines. */
export const WHOLE_SERVER = "";

type ChangeListener = (service: string, status: ServingStatus) => void;

/**
 * The serving status of each service, kept by the daemon and read by the Health service. Components
 * flip their own entry; the daemon calls shutdown() when it starts to drain.
 */
export class HealthStatusBoard {
  readonly #statuses = new Map<string, ServingStatus>();
  // One "change" event rather than one event per service name: a service called "error" would
  // otherwise collide with EventEmitter's special error event.
  readonly #changes = new EventEmitter<{ change: Parameters<ChangeListener> }>();
  #shuttingDown = false;

  constructor(initial: Iterable<readonly [string, ServingStatus]> = [[WHOLE_SERVER, "SERVING"]]) {
    // Every Watch call holds a listener, and health probes may watch in numbers.
    this.#changes.setMaxListeners(0);
    for (const [service, status] of initial) this.#statuses.set(service, status);
  }

  /** The service's status, or undefined when the board has never heard of it. */
  get(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  entries(): [string, ServingStatus][] {
    return [...this.#statuses];
  }

  set(service: string, status: ServingStatus): void {
    // Once draining, a late component saying SERVING would send traffic to a server that is leaving.
    if (this.#shuttingDown && status === "SERVING") return;
    if (this.#statuses.get(service) === status) return;
    this.#statuses.set(service, status);
    this.#changes.emit("change", service, status);
  }

  /** Marks every known service NOT_SERVING and ignores later attempts to mark anything SERVING. */
  shutdown(): void {
    this.#shuttingDown = true;
    for (const service of this.#statuses.keys()) this.set(service, "NOT_SERVING");
  }

  /**
   * Yields the service's current status, then each change to it, until the signal aborts. The
   * listener is attached before the current status is read, so no change can fall in between.
   */
  async *watch(service: string, signal: AbortSignal): AsyncGenerator<ServingStatus | undefined> {
    const changes = on(this.#changes, "change", { signal });
    let last = this.get(service);
    try {
      yield last;
      for await (const [changed, status] of changes as AsyncIterable<Parameters<ChangeListener>>) {
        if (changed !== service || status === last) continue;
        last = status;
        yield status;
      }
    } catch (error) {
      // Abort is how a watch ends normally (client gone, server closing); anything else is real.
      if (!signal.aborted) throw error;
    } finally {
      await changes.return?.();
    }
  }
}

function wireStatus(status: ServingStatus | undefined): HealthCheckResponse_ServingStatus {
  if (status === undefined) return HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN;
  return HealthCheckResponse_ServingStatus[status];
}

/** grpc.health.v1.Health backed by a status board. */
export function createHealthService(board: HealthStatusBoard): ServiceImpl<typeof Health> {
  return {
    check(request) {
      const status = board.get(request.service);
      // The health spec asks Check to fail with NOT_FOUND for unknown services, unlike Watch.
      if (status === undefined) {
        throw new ConnectError(`unknown service "${request.service}"`, Code.NotFound);
      }
      return { status: wireStatus(status) };
    },
    list() {
      const statuses = Object.fromEntries(board.entries().map(([service, status]) => [service, { status: wireStatus(status) }]));
      return { statuses };
    },
    async *watch(request, context) {
      // Watch reports unknown services as SERVICE_UNKNOWN and keeps the stream open, per the spec.
      for await (const status of board.watch(request.service, context.signal)) {
        yield { status: wireStatus(status) };
      }
    },
  };
}
