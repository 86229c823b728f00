import { describe, expect, it } from "vitest";
import {
  checkTarget,
  forbiddenAddress,
  type Resolver,
  TargetRefused,
  targetNotAllowed,
} from "./target-guard.js";

/** A resolver that answers from a table, as DNS would, without the network. */
const dns =
  (table: Record<string, string[]>): Resolver =>
  async (hostname) => {
    const answers = table[hostname];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
    return answers.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };

const production = (table: Record<string, string[]> = {}) => ({ allowPrivate: false, resolve: dns(table) });

async function refusal(url: string, table: Record<string, string[]> = {}): Promise<string> {
  const err = await checkTarget(url, production(table)).catch((e: unknown) => e);
  if (!(err instanceof TargetRefused)) throw new Error(`${url} was not refused`);
  return err.reason;
}

describe("forbidden addresses", () => {
  it.each([
    ["0.0.0.0", /unspecified/],
    ["10.1.2.3", /private/],
    ["100.64.0.1", /carrier-grade NAT/],
    ["127.0.0.1", /loopback/],
    ["127.255.255.254", /loopback/],
    ["169.254.169.254", /link-local .*metadata/],
    ["172.16.0.1", /private/],
    ["172.31.255.255", /private/],
    ["192.0.2.10", /documentation/],
    ["192.168.1.1", /private/],
    ["198.18.0.1", /benchmarking/],
    ["224.0.0.1", /multicast/],
    ["239.255.255.250", /multicast/],
    ["255.255.255.255", /reserved/],
    ["::", /unspecified/],
    ["::1", /loopback/],
    ["::ffff:127.0.0.1", /IPv4-mapped 127\.0\.0\.1, a loopback/],
    ["::ffff:7f00:1", /IPv4-mapped 127\.0\.0\.1, a loopback/],
    ["::ffff:a9fe:a9fe", /IPv4-mapped 169\.254\.169\.254, a link-local/],
    ["0:0:0:0:0:ffff:10.0.0.1", /private/],
    ["64:ff9b::10.0.0.1", /NAT64 10\.0\.0\.1, a private/],
    ["::127.0.0.1", /not global unicast/],
    ["fc00::1", /unique local/],
    ["fd00:ec2::254", /unique local/],
    ["fe80::1", /link-local/],
    ["fe80::1%eth0", /link-local/],
    ["fec0::1", /site-local/],
    ["ff02::1", /multicast/],
    ["2001:db8::1", /documentation/],
    ["2001:0:4136:e378::1", /Teredo/],
    ["2002:7f00:1::1", /6to4/],
    ["100::1", /discard/],
    ["4000::1", /not global unicast/],
  ])("refuses %s", (address, reason) => {
    expect(forbiddenAddress(address)).toMatch(reason);
  });

  it.each([
    "93.184.215.14",
    "8.8.8.8",
    "172.32.0.1",
    "100.128.0.1",
    "169.253.255.255",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::8.8.8.8",
  ])("allows the public address %s", (address) => {
    expect(forbiddenAddress(address)).toBeUndefined();
  });

  it("says what it cannot parse instead of allowing it", () => {
    expect(forbiddenAddress("example.com")).toBe("not an IP address");
    expect(forbiddenAddress("127.0.0.01")).toBe("not an IP address");
  });
});

describe("checking a webhook URL", () => {
  it("accepts an https URL whose host resolves only to public addresses, and pins the first", async () => {
    const target = await checkTarget(
      "https://hooks.example.com/in?x=1",
      production({ "hooks.example.com": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"] }),
    );
    expect(target).toMatchObject({ address: "93.184.215.14", family: 4 });
    expect(target.url.href).toBe("https://hooks.example.com/in?x=1");
  });

  it.each([
    "https://0177.0.0.1/",
    "https://2130706433/",
    "https://0x7f000001/",
    "https://0x7f.1/",
    "https://127.1/",
  ])("refuses %s, a spelling of 127.0.0.1", async (url) => {
    expect(await refusal(url)).toBe("127.0.0.1 is a loopback address");
  });

  it.each([
    ["https://169.254.169.254/latest/meta-data/", /169\.254\.169\.254 is a link-local/],
    ["https://0251.0376.0251.0376/", /169\.254\.169\.254 is a link-local/],
    ["https://[::ffff:169.254.169.254]/", /IPv4-mapped 169\.254\.169\.254/],
    ["https://[::ffff:127.0.0.1]:8443/", /IPv4-mapped 127\.0\.0\.1, a loopback/],
    ["https://[::1]/", /::1 is a loopback/],
    ["https://[::]/", /unspecified/],
    ["https://0/", /0\.0\.0\.0 is an unspecified/],
    ["https://10.0.0.8/", /private/],
    ["https://[fd12:3456::1]/", /unique local/],
    ["https://[fe80::1]/", /link-local/],
    ["https://224.0.0.251/", /multicast/],
  ])("refuses the IP literal in %s", async (url, reason) => {
    expect(await refusal(url)).toMatch(reason);
  });

  it.each(["https://localhost/", "https://LOCALHOST./", "https://api.localhost/"])(
    "refuses %s by name, before asking DNS",
    async (url) => {
      expect(await refusal(url)).toMatch(/loopback name/);
    },
  );

  it("refuses a host that resolves to a private address, naming the address to us only", async () => {
    const table = { "internal.example.com": ["10.0.0.5"] };
    const err = (await checkTarget("https://internal.example.com/", production(table)).catch(
      (e: unknown) => e,
    )) as TargetRefused;
    expect(err.reason).toBe(
      "the host internal.example.com resolves to 10.0.0.5, a private address (RFC 1918)",
    );
    expect(err.publicReason).toBe(targetNotAllowed);
  });

  it("tells a caller the same whether a host is private or does not resolve, so DNS cannot be probed", async () => {
    const table = { "db.internal.example.com": ["172.20.3.4"] };
    const said = async (url: string) =>
      ((await checkTarget(url, production(table)).catch((e: unknown) => e)) as TargetRefused).publicReason;
    expect(await said("https://db.internal.example.com/")).toBe(targetNotAllowed);
    expect(await said("https://nothing.internal.example.com/")).toBe(targetNotAllowed);
  });

  it("tells a caller what was wrong with a URL they wrote themselves", async () => {
    const err = (await checkTarget("https://10.0.0.8/", production()).catch(
      (e: unknown) => e,
    )) as TargetRefused;
    expect(err.publicReason).toBe("10.0.0.8 is a private address (RFC 1918)");
  });

  it("refuses a host with one private answer among public ones", async () => {
    const table = { "mixed.example.com": ["93.184.215.14", "169.254.169.254"] };
    expect(await refusal("https://mixed.example.com/", table)).toMatch(/169\.254\.169\.254, a link-local/);
  });

  it("refuses a host that resolves to an IPv4-mapped loopback", async () => {
    expect(
      await refusal("https://sneaky.example.com/", { "sneaky.example.com": ["::ffff:127.0.0.1"] }),
    ).toMatch(/loopback/);
  });

  it("refuses a host that does not resolve, and marks a DNS outage as temporary", async () => {
    expect(await refusal("https://nowhere.example.com/")).toMatch(/does not resolve \(ENOTFOUND\)/);
    const outage: Resolver = async () => {
      throw Object.assign(new Error("timeout"), { code: "EAI_AGAIN" });
    };
    const err = (await checkTarget("https://x.example.com/", { allowPrivate: false, resolve: outage }).catch(
      (e: unknown) => e,
    )) as TargetRefused;
    expect(err).toMatchObject({ temporary: true, reason: expect.stringMatching(/EAI_AGAIN/) });
    expect(err.publicReason).toBe("the target cannot be checked now; try again later");
  });

  it.each([
    ["http://hooks.example.com/", /scheme must be https$/],
    ["ftp://hooks.example.com/", /scheme must be https$/],
    ["https://user:pw@hooks.example.com/", /credentials/],
    ["https://hooks.example.com/#frag", /fragment/],
    ["hooks.example.com/in", /not an absolute URL/],
  ])("refuses %s", async (url, reason) => {
    expect(await refusal(url, { "hooks.example.com": ["93.184.215.14"] })).toMatch(reason);
  });

  it("allows http and private targets only when local mode says so", async () => {
    const local = { allowPrivate: true, resolve: dns({ localhost: ["127.0.0.1"] }) };
    expect(await checkTarget("http://127.0.0.1:8080/hook", local)).toMatchObject({ address: "127.0.0.1" });
    expect(await checkTarget("http://localhost:8080/hook", local)).toMatchObject({ address: "127.0.0.1" });
    await expect(checkTarget("ftp://127.0.0.1/", local)).rejects.toThrow(/https or http/);
  });
});
