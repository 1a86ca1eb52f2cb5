import { type CallOptions, credentials, Metadata, type ServiceError } from "@grpc/grpc-js";
import { ApiKeysServiceClient } from "../../gen/grpc-js/palyra/gateway/v1/api_keys.js";
import { AuthProfileServiceClient } from "../../gen/grpc-js/palyra/gateway/v1/auth.js";
import { CronServiceClient } from "../../gen/grpc-js/palyra/gateway/v1/cron.js";
import { DiagnosticsServiceClient } from "../../gen/grpc-js/palyra/gateway/v1/diagnostics.js";
import { GatewayServiceClient } from "../../gen/grpc-js/palyra/gateway/v1/gateway.js";
import { MemoryServiceClient } from "../../gen/grpc-js/palyra/gateway/v1/memory.js";
import { ModelsServiceClient } from "../../gen/grpc-js/palyra/gateway/v1/models.js";
import { TasksServiceClient } from "../../gen/grpc-js/palyra/gateway/v1/tasks.js";
import { UsageServiceClient } from "../../gen/grpc-js/palyra/gateway/v1/usage.js";
import { VaultServiceClient } from "../../gen/grpc-js/palyra/gateway/v1/vault.js";
import type { DaemonConnection } from "./daemon-connection.js";

export const defaultTimeoutMs = 30_000;

/** The generated grpc-js clients for one daemon, with the caller's credential and deadline. */
export class DaemonClients {
  private readonly opened: { close(): void }[] = [];

  constructor(
    readonly connection: DaemonConnection,
    readonly timeoutMs: number = defaultTimeoutMs,
  ) {}

  gateway(): GatewayServiceClient {
    return this.track(new GatewayServiceClient(this.connection.address, credentials.createInsecure()));
  }

  models(): ModelsServiceClient {
    return this.track(new ModelsServiceClient(this.connection.address, credentials.createInsecure()));
  }

  diagnostics(): DiagnosticsServiceClient {
    return this.track(new DiagnosticsServiceClient(this.connection.address, credentials.createInsecure()));
  }

  vault(): VaultServiceClient {
    return this.track(new VaultServiceClient(this.connection.address, credentials.createInsecure()));
  }

  apiKeys(): ApiKeysServiceClient {
    return this.track(new ApiKeysServiceClient(this.connection.address, credentials.createInsecure()));
  }

  auth(): AuthProfileServiceClient {
    return this.track(new AuthProfileServiceClient(this.connection.address, credentials.createInsecure()));
  }

  tasks(): TasksServiceClient {
    return this.track(new TasksServiceClient(this.connection.address, credentials.createInsecure()));
  }

  cron(): CronServiceClient {
    return this.track(new CronServiceClient(this.connection.address, credentials.createInsecure()));
  }

  memory(): MemoryServiceClient {
    return this.track(new MemoryServiceClient(this.connection.address, credentials.createInsecure()));
  }

  usage(): UsageServiceClient {
    return this.track(new UsageServiceClient(this.connection.address, credentials.createInsecure()));
  }

  /** "authorization: Bearer <token>" when a token was found; empty otherwise (GetHealth needs none). */
  metadata(): Metadata {
    const metadata = new Metadata();
    if (this.connection.token) metadata.set("authorization", `Bearer ${this.connection.token}`);
    return metadata;
  }

  /** Options for a unary call: its deadline. */
  unaryOptions(): Partial<CallOptions> {
    return { deadline: Date.now() + this.timeoutMs };
  }

  /** Closes every client's channel, so the process can exit. */
  close(): void {
    for (const client of this.opened.splice(0)) client.close();
  }

  private track<T extends { close(): void }>(client: T): T {
    this.opened.push(client);
    return client;
  }
}

/** Adapts a grpc-js callback-style unary call to a promise. */
export function callUnary<Response>(invoke: (callback: (error: ServiceError | null, response: Response) => void) => void): Promise<Response> {
  return new Promise((resolve, reject) => {
    invoke((error, response) => (error ? reject(error) : resolve(response)));
  });
}
