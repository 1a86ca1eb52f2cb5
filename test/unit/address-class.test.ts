import { describe, expect, it } from "vitest";
import { type AddressClass, addressClasses, classifyAddress, isPublicAddress } from "../../src/shared/netguard/address-class.js";

// Pure-function tests: addresses are strings here, nothing is ever connected to (DESIGN.md §7).

const examples: Record<AddressClass, string[]> = {
  public: [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.215.14",
    "172.15.255.255",
    "172.32.0.1",
    "100.63.255.255",
    "100.128.0.1",
    "2606:4700:4700::1111",
    "2a00:1450:4001:81b::200e",
  ],
  loopback: ["127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "0:0:0:0:0:0:0:1"],
  private: ["10.0.0.1", "10.255.255.255", "172.16.0.1", "172.31.255.254", "192.168.0.1", "192.168.255.255"],
  link_local: ["169.254.0.1", "169.254.169.254", "169.254.255.255", "fe80::1", "fe80::1ff:fe23:4567:890a", "febf::1"],
  cgnat: ["100.64.0.1", "100.100.100.100", "100.127.255.254"],
  multicast: ["224.0.0.1", "239.255.255.250", "233.252.0.1", "ff02::1", "ff05::1:3"],
  unspecified: ["0.0.0.0", "0.1.2.3", "0.255.255.255", "::", "0:0:0:0:0:0:0:0"],
  broadcast: ["255.255.255.255"],
  reserved: [
    "240.0.0.1",
    "250.1.2.3",
    "255.255.255.254",
    "192.0.0.8",
    "192.88.99.1",
    "2001::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "100::1",
    "fec0::1",
    "4000::1",
    "5f00::1",
  ],
  documentation: ["192.0.2.1", "198.51.100.7", "203.0.113.254", "2001:db8::1", "2001:db8:ffff::1", "3fff::1"],
  benchmarking: ["198.18.0.1", "198.19.255.254", "2001:2::1"],
  ula: ["fc00::1", "fd12:3456:789a::1", "fdff:ffff::1"],
  invalid: ["", "example.com", "256.0.0.1", "1.2.3.4.5", "::g", "[::1]", "10.0.0.1/8"],
};

describe("classifyAddress", () => {
  it("has examples for every class", () => {
    expect(Object.keys(examples).sort()).toEqual([...addressClasses].sort());
  });

  for (const [expected, addresses] of Object.entries(examples)) {
    it.each(addresses)(`classifies %s as ${expected}`, (address) => {
      expect(classifyAddress(address)).toBe(expected);
    });
  }

  it.each([
    // IPv4-mapped (::ffff:0:0/96), in dotted and hex form
    ["::ffff:127.0.0.1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["::ffff:10.0.0.1", "private"],
    ["::ffff:192.168.1.1", "private"],
    ["::ffff:169.254.169.254", "link_local"],
    ["::ffff:a9fe:a9fe", "link_local"],
    ["::ffff:100.64.0.1", "cgnat"],
    ["::ffff:0.0.0.0", "unspecified"],
    ["::ffff:255.255.255.255", "broadcast"],
    ["::ffff:192.0.2.1", "documentation"],
    ["::ffff:8.8.8.8", "public"],
    // IPv4-translated (::ffff:0:0:0/96)
    ["::ffff:0:10.0.0.1", "private"],
    // IPv4-compatible (::/96, deprecated)
    ["::127.0.0.1", "loopback"],
    ["::10.1.2.3", "private"],
    ["::8.8.8.8", "public"],
    // NAT64 well-known prefix (64:ff9b::/96)
    ["64:ff9b::a00:1", "private"],
    ["64:ff9b::127.0.0.1", "loopback"],
    ["64:ff9b::a9fe:a9fe", "link_local"],
    ["64:ff9b::808:808", "public"],
    // 6to4 (2002::/16): the IPv4 address sits in bits 16-47
    ["2002:a00:1::1", "private"],
    ["2002:7f00:1::", "loopback"],
    ["2002:a9fe:a9fe::1", "link_local"],
    ["2002:808:808::1", "public"],
  ] as const)("classifies %s by its embedded IPv4 address as %s", (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it("keeps :: and ::1 as themselves rather than IPv4-compatible 0.0.0.0 and 0.0.0.1", () => {
    expect(classifyAddress("::")).toBe("unspecified");
    expect(classifyAddress("::1")).toBe("loopback");
  });

  it("classifies link-local addresses with a zone id", () => {
    expect(classifyAddress("fe80::1%eth0")).toBe("link_local");
  });

  it.each(["2130706433", "0x7f.1", "0177.0.0.1", "127.1"])("reads the non-dotted IPv4 spelling %s as inet_aton would (loopback)", (address) => {
    expect(classifyAddress(address)).toBe("loopback");
  });

  it("treats everything outside 2000::/3 that is not otherwise special as reserved", () => {
    expect(classifyAddress("1000::1")).toBe("reserved");
    expect(classifyAddress("e000::1")).toBe("reserved");
    expect(classifyAddress("64:ff9b:1::a00:1")).toBe("reserved");
  });
});

describe("isPublicAddress", () => {
  it("is true only for public addresses", () => {
    expect(isPublicAddress("8.8.8.8")).toBe(true);
    expect(isPublicAddress("2606:4700:4700::1111")).toBe(true);
    expect(isPublicAddress("::ffff:8.8.8.8")).toBe(true);
    for (const [addressClass, addresses] of Object.entries(examples)) {
      if (addressClass === "public") continue;
      for (const address of addresses) expect(isPublicAddress(address), address).toBe(false);
    }
  });
});
