import { type BindAddress, parseBindAddress } from "./bind-address.js";
import { defaultGrpcBind, defaultHttpBind } from "./defaults.js";
import type { LoadedConfig } from "./load-config.js";

/** The first address given, checked, and named by where it came from when it is wrong. */
function pickBind(...candidates: [source: string, value: string | undefined][]): BindAddress {
  const [source, value] = candidates.find(([, candidate]) => candidate !== undefined && candidate !== "") ?? ["", ""];
  return parseBindAddress(value ?? "", source);
}

/** The listen addresses: flag, else environment variable, else [daemon] in the config, else the default. */
export function pickBinds(
  flags: { grpcBind?: string | undefined; httpBind?: string | undefined },
  env: NodeJS.ProcessEnv,
  { config, source }: LoadedConfig,
): { grpcBind: BindAddress; httpBind: BindAddress } {
  return {
    grpcBind: pickBind(
      ["--grpc-bind", flags.grpcBind],
      ["PALYRA_GRPC_BIND", env.PALYRA_GRPC_BIND],
      [`${source}: daemon.grpc_bind`, config.daemon.grpc_bind],
      ["the default", defaultGrpcBind],
    ),
    httpBind: pickBind(
      ["--http-bind", flags.httpBind],
      ["PALYRA_HTTP_BIND", env.PALYRA_HTTP_BIND],
      [`${source}: daemon.http_bind`, config.daemon.http_bind],
      ["the default", defaultHttpBind],
    ),
  };
}
