import type { AddressInfo, Server } from "node:net";

/** A listener the daemon can stop in two steps: first stop accepting, then close what is left. */
export interface ListeningServer {
  address: AddressInfo;
  /** Stops accepting connections; requests and streams in flight go on. */
  stopAccepting(): void;
  /** Closes every connection, giving them a short while to finish on their own first. */
  close(): Promise<void>;
}

/** How long closing waits for connections to finish on their own before cutting them off. */
export const closeTimeoutMs = 2000;

/** Starts listening; rejects with the listen error (port in use, bad host). */
export async function listen(server: Server, bind: { host: string; port: number }): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(bind.port, bind.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

/** Waits until every promise settles or the time runs out, whichever is first. Never rejects. */
export async function settleWithin(ms: number, promises: Promise<unknown>[]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([Promise.allSettled(promises), timeout]);
  clearTimeout(timer);
}
