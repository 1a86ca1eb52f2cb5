import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { Agent, buildConnector, type Dispatcher, errors } from "undici";
import { GatewayError } from "../errors.js";
import { type AddressClass, classifyAddress } from "./address-class.js";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Turns a hostname into the addresses to connect to, like `dns.lookup(host, { all: true })`. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface GuardedDispatcherOptions {
  /** The provider's allow_private_base_url: lets it reach loopback, private and other special ranges. */
  allowPrivate: boolean;
  /** Lets it reach loopback addresses (and no other special range): OAuth token endpoints on this host. */
  allowLoopback?: boolean;
  /** Named in errors. */
  providerId: string;
  /** Limit for resolving the host and opening the connection (TLS included). */
  connectTimeoutMs: number;
  /** Longest wait for the response headers, and between two pieces of the response body. */
  idleTimeoutMs: number;
  /** Replaces DNS; tests inject one so no name is ever looked up. */
  resolve?: Resolver;
}

export interface BlockedAddress {
  address: string;
  addressClass: AddressClass;
}

/**
 * The guard's decision over every address a host resolved to: the first one the provider may not
 * reach, or undefined when all are allowed. One bad answer blocks the host, since which answer a
 * later connection would use is not ours to predict.
 */
export function checkResolvedAddresses(addresses: readonly { address: string }[], allowPrivate: boolean, allowLoopback = false): BlockedAddress | undefined {
  for (const { address } of addresses) {
    const addressClass = classifyAddress(address);
    // Opting in allows every special range, but something that is not an address is never connectable.
    const allowed = addressClass === "public" || (allowPrivate && addressClass !== "invalid") || (allowLoopback && addressClass === "loopback");
    if (!allowed) return { address, addressClass };
  }
  return undefined;
}

/**
 * An undici Agent for one provider whose connections are checked against the address guard: it
 * resolves the host itself, checks every address before any socket opens, then connects to the
 * checked address (never the hostname again, so a DNS answer cannot change between check and
 * connect), with the original hostname as the TLS server name. Redirects are not followed: an Agent
 * never does, and upstreamRequest uses undici's `request`, which follows none.
 */
export function createGuardedDispatcher(options: GuardedDispatcherOptions): Dispatcher {
  return new Agent({
    connect: guardedConnector(options),
    // undici's bodyTimeout is the idle time between body chunks: a stream that stalls fails, a long
    // stream that keeps moving does not.
    bodyTimeout: options.idleTimeoutMs,
    headersTimeout: options.idleTimeoutMs,
  });
}

function guardedConnector(options: GuardedDispatcherOptions): buildConnector.connector {
  const connectSocket = buildConnector({ timeout: options.connectTimeoutMs });
  const resolve = options.resolve ?? lookupAll;
  return (connectOptions, callback) => {
    const hostname = stripBrackets(connectOptions.hostname);
    resolveChecked(hostname, resolve, options).then(
      (addresses) => {
        const servername = connectOptions.servername || (isIP(hostname) === 0 ? hostname : undefined);
        connectInTurn(connectSocket, { ...connectOptions, ...(servername && { servername }) }, addresses, 0, callback);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );
  };
}

async function resolveChecked(hostname: string, resolve: Resolver, options: GuardedDispatcherOptions): Promise<ResolvedAddress[]> {
  // An IP literal is its own answer; everything else goes to the resolver, within the connect limit.
  const literal = isIP(hostname);
  const addresses =
    literal !== 0 ? [{ address: hostname, family: literal as 4 | 6 }] : await withinConnectTimeout(resolve(hostname), hostname, options.connectTimeoutMs);
  if (addresses.length === 0) {
    throw new GatewayError("network", `provider "${options.providerId}": upstream host "${hostname}" resolves to no address`, { code: "upstream_network" });
  }
  const blocked = checkResolvedAddresses(addresses, options.allowPrivate, options.allowLoopback);
  if (blocked !== undefined) {
    throw new GatewayError(
      "permanent",
      `provider "${options.providerId}": upstream host "${hostname}" resolves to ${blocked.address} (${blocked.addressClass}); ` +
        "set allow_private_base_url = true on the provider to allow it",
      { code: "address_blocked" },
    );
  }
  return addresses;
}

/** Connects to the checked addresses in order, moving on when one cannot be reached. */
function connectInTurn(
  connectSocket: buildConnector.connector,
  connectOptions: buildConnector.Options,
  addresses: ResolvedAddress[],
  index: number,
  callback: buildConnector.Callback,
): void {
  const address = addresses[index];
  if (address === undefined) return void callback(new Error("no address to connect to"), null);
  try {
    connectSocket({ ...connectOptions, hostname: address.address }, (...result) => {
      if (result[0] !== null && index + 1 < addresses.length) return connectInTurn(connectSocket, connectOptions, addresses, index + 1, callback);
      callback(...result);
    });
  } catch (error) {
    // We run outside undici's own try/catch (after an await), so a throwing connect is reported here.
    callback(error instanceof Error ? error : new Error(String(error)), null);
  }
}

/** DNS time counts against the connect limit, as it would inside net.connect. */
async function withinConnectTimeout<T>(pending: Promise<T>, hostname: string, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new errors.ConnectTimeoutError(`resolving ${hostname} took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([pending, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function lookupAll(hostname: string): Promise<ResolvedAddress[]> {
  const answers = await lookup(hostname, { all: true });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}
