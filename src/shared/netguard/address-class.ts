import ipaddr from "ipaddr.js";

/** What kind of network an IP address belongs to; only `public` is reachable without opting in. */
export const addressClasses = [
  "public",
  "loopback",
  "private",
  "link_local",
  "cgnat",
  "multicast",
  "unspecified",
  "broadcast",
  "reserved",
  "documentation",
  "benchmarking",
  "ula",
  /** Not an IP address at all. */
  "invalid",
] as const;

export type AddressClass = (typeof addressClasses)[number];

type RangeTable = [AddressClass, [ipaddr.IPv4 | ipaddr.IPv6, number]][];

const ranges = (table: [AddressClass, string][]): RangeTable => table.map(([name, cidr]) => [name, ipaddr.parseCIDR(cidr)]);

// Our own tables rather than ipaddr.js's range(): that one folds documentation and benchmarking
// ranges into "reserved" and calls most of the IPv6 space "unicast". First match wins, so narrower
// ranges come before the wider ones that contain them.
const ipv4Ranges = ranges([
  ["unspecified", "0.0.0.0/8"],
  ["private", "10.0.0.0/8"],
  ["cgnat", "100.64.0.0/10"],
  ["loopback", "127.0.0.0/8"],
  ["link_local", "169.254.0.0/16"],
  ["private", "172.16.0.0/12"],
  ["reserved", "192.0.0.0/24"],
  ["documentation", "192.0.2.0/24"],
  ["reserved", "192.88.99.0/24"],
  ["private", "192.168.0.0/16"],
  ["benchmarking", "198.18.0.0/15"],
  ["documentation", "198.51.100.0/24"],
  ["documentation", "203.0.113.0/24"],
  ["multicast", "224.0.0.0/4"],
  ["broadcast", "255.255.255.255/32"],
  ["reserved", "240.0.0.0/4"],
]);

const ipv6Ranges = ranges([
  ["unspecified", "::/128"],
  ["loopback", "::1/128"],
  ["reserved", "100::/64"],
  ["reserved", "64:ff9b:1::/48"],
  ["benchmarking", "2001:2::/48"],
  // IETF protocol assignments, Teredo (2001::/32) among them: a tunnel to an obfuscated IPv4 peer.
  ["reserved", "2001::/23"],
  ["documentation", "2001:db8::/32"],
  ["documentation", "3fff::/20"],
  ["ula", "fc00::/7"],
  ["link_local", "fe80::/10"],
  ["reserved", "fec0::/10"],
  ["multicast", "ff00::/8"],
]);

const globalUnicast = ipaddr.parseCIDR("2000::/3");

/** IPv6 ranges that carry an IPv4 address, and where its two 16-bit halves sit. */
const ipv4Carriers: [[ipaddr.IPv4 | ipaddr.IPv6, number], number][] = [
  [ipaddr.parseCIDR("::ffff:0:0/96"), 6], // IPv4-mapped
  [ipaddr.parseCIDR("::ffff:0:0:0/96"), 6], // IPv4-translated (RFC 6145)
  [ipaddr.parseCIDR("64:ff9b::/96"), 6], // NAT64 well-known prefix
  [ipaddr.parseCIDR("::/96"), 6], // IPv4-compatible (deprecated); :: and ::1 are handled first
  [ipaddr.parseCIDR("2002::/16"), 1], // 6to4
];

/**
 * Classifies an IP address (v4 or v6, without brackets). IPv6 forms that carry an IPv4 address
 * (mapped, compatible, NAT64, 6to4) are classified by that address, since traffic to them can end
 * up there.
 */
export function classifyAddress(ip: string): AddressClass {
  if (!ipaddr.isValid(ip)) return "invalid";
  const address = ipaddr.parse(ip);
  return address.kind() === "ipv4" ? classifyIPv4(address as ipaddr.IPv4) : classifyIPv6(address as ipaddr.IPv6);
}

/** True only for addresses on the public internet. */
export function isPublicAddress(ip: string): boolean {
  return classifyAddress(ip) === "public";
}

function classifyIPv4(address: ipaddr.IPv4): AddressClass {
  return firstMatch(address, ipv4Ranges) ?? "public";
}

function classifyIPv6(address: ipaddr.IPv6): AddressClass {
  const exact = firstMatch(address, ipv6Ranges.slice(0, 2));
  if (exact !== undefined) return exact;
  for (const [range, at] of ipv4Carriers) {
    if (!address.match(range)) continue;
    const high = address.parts[at] ?? 0;
    const low = address.parts[at + 1] ?? 0;
    return classifyIPv4(new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]));
  }
  // Everything outside 2000::/3 is unassigned or special-purpose.
  return firstMatch(address, ipv6Ranges) ?? (address.match(globalUnicast) ? "public" : "reserved");
}

function firstMatch(address: ipaddr.IPv4 | ipaddr.IPv6, table: RangeTable): AddressClass | undefined {
  // match() throws when the kinds differ; each table holds one kind.
  return table.find(([, range]) => address.match(range))?.[0];
}
