import { describe, expect, it } from "vitest";
import type { Principal } from "./auth/principal.js";
import { addressBucket, rateLimitBuckets } from "./limit-buckets.js";

const viaKey: Principal = { userId: "u-1", roles: ["user"], method: "api_key" };
const viaToken: Principal = { userId: "u-1", roles: ["user"], method: "jwt" };
const login = (email: string) => Buffer.from(JSON.stringify({ email, password: "x" }));
const none = Buffer.alloc(0);

describe("the buckets a request is charged to", () => {
  it("are the address and the target email for the auth class, whatever credentials are sent", () => {
    const [address, email] = rateLimitBuckets("auth", viaKey, "ip:192.0.2.1", login("ada@example.com"));
    expect(address).toBe("ip:192.0.2.1");
    expect(email).toMatch(/^email:[A-Za-z0-9_-]{22}$/);
  });

  it("spell a target email as identity does: case and surrounding spaces do not make a new bucket", () => {
    const bucket = (email: string) => rateLimitBuckets("auth", undefined, "ip:x", login(email))[1];
    expect(bucket(" ADA@Example.com ")).toBe(bucket("ada@example.com"));
    expect(bucket("bob@example.com")).not.toBe(bucket("ada@example.com"));
  });

  it("are the address alone for an auth body without an email, or that is not JSON", () => {
    expect(rateLimitBuckets("auth", undefined, "ip:x", Buffer.from('{"refreshToken":"r"}'))).toEqual([
      "ip:x",
    ]);
    expect(rateLimitBuckets("auth", undefined, "ip:x", Buffer.from('{"email":'))).toEqual(["ip:x"]);
  });

  it("are the user for reads and writes, whether a token or one of their API keys authenticates", () => {
    expect(rateLimitBuckets("read", viaKey, "ip:x", none)).toEqual(["user:u-1"]);
    expect(rateLimitBuckets("write", viaToken, "ip:x", none)).toEqual(["user:u-1"]);
  });

  it("are the address for anonymous reads", () => {
    expect(rateLimitBuckets("read", undefined, "ip:192.0.2.1", none)).toEqual(["ip:192.0.2.1"]);
  });
});

describe("the address a client is limited by", () => {
  it("is an IPv4 address as it is, also when IPv4-mapped", () => {
    expect(addressBucket("192.0.2.1")).toBe("ip:192.0.2.1");
    expect(addressBucket("::ffff:192.0.2.1")).toBe("ip:192.0.2.1");
  });

  it("is the /64 of an IPv6 address, however it is written", () => {
    const bucket = "ip:2001:db8:0:1::/64";
    expect(addressBucket("2001:db8:0:1:aaaa:bbbb:cccc:dddd")).toBe(bucket);
    expect(addressBucket("2001:0db8:0000:0001::1")).toBe(bucket);
    expect(addressBucket("2001:db8:0:1::192.0.2.1")).toBe(bucket);
    expect(addressBucket("2001:db8::")).toBe("ip:2001:db8:0:0::/64");
    expect(addressBucket("::1")).toBe("ip:0:0:0:0::/64");
    expect(addressBucket("fe80::1%eth0")).toBe("ip:fe80:0:0:0::/64");
  });
});
