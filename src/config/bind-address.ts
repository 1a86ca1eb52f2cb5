/** A "host:port" listen address; IPv6 hosts are bracketed ("[::1]:7142"). Port 0 picks a free port. */
export interface BindAddress {
  host: string;
  port: number;
}

export function parseBindAddress(text: string, name: string): BindAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text.trim());
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new Error(`${name}: "${text}" is not a "host:port" address (IPv6 as "[::1]:port")`);
  return { host: match[1] ?? match[2] ?? "", port };
}

export function formatBindAddress(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
