// Which address a request came from: the peer's, or what trusted proxies say it heard from, read from the right.
import { describe, expect, it } from "vitest";
import { parseEnv } from "../env";
import { clientAddress, parseTrustedProxies } from "./proxies";

const proxies = parseTrustedProxies("10.0.0.1, 192.0.2.0/28 ::1");

describe("clientAddress", () => {
  it("is the peer when the peer is no trusted proxy, whatever X-Forwarded-For says", () => {
    expect(clientAddress("198.51.100.7", "203.0.113.9", proxies)).toBe("198.51.100.7");
    expect(clientAddress("::ffff:198.51.100.7", null, proxies)).toBe("198.51.100.7");
    expect(clientAddress("198.51.100.7", "203.0.113.9", [])).toBe("198.51.100.7");
  });

  it("behind trusted proxies, is the rightmost address that is not one of them", () => {
    expect(clientAddress("10.0.0.1", "203.0.113.9", proxies)).toBe("203.0.113.9");
    expect(clientAddress("10.0.0.1", "198.51.100.1, 203.0.113.9, 192.0.2.3", proxies)).toBe("203.0.113.9");
    expect(clientAddress("::1", "2001:db8::7", proxies)).toBe("2001:db8::7");
  });

  it("stops at the nearest trusted hop when the header holds no address, and says unknown without a peer", () => {
    expect(clientAddress("10.0.0.1", "evil; $(id)", proxies)).toBe("10.0.0.1");
    expect(clientAddress("10.0.0.1", null, proxies)).toBe("10.0.0.1");
    expect(clientAddress("10.0.0.1", "192.0.2.1", proxies)).toBe("192.0.2.1");
    expect(clientAddress(null, "203.0.113.9", proxies)).toBe("unknown");
    expect(clientAddress("", "203.0.113.9", proxies)).toBe("unknown");
  });
});

describe("NETLENS_TRUSTED_PROXIES", () => {
  it("takes addresses and CIDRs, none by default, and names what is neither", () => {
    expect(parseEnv({}).NETLENS_TRUSTED_PROXIES).toEqual([]);
    expect(parseEnv({ NETLENS_TRUSTED_PROXIES: "10.0.0.0/8,::1" }).NETLENS_TRUSTED_PROXIES).toHaveLength(2);
    expect(() => parseEnv({ NETLENS_TRUSTED_PROXIES: "10.0.0.1, proxy.example" })).toThrow(
      /NETLENS_TRUSTED_PROXIES: proxy\.example is not an address or a CIDR/,
    );
  });

  it("comes with token and session lifetimes in seconds", () => {
    expect(parseEnv({})).toMatchObject({
      NETLENS_TOKEN_EXPIRATION: 43200,
      NETLENS_SESSION_IDLE_TIMEOUT: 7200,
      NETLENS_SESSION_LIFETIME: 43200,
    });
    expect(() => parseEnv({ NETLENS_TOKEN_EXPIRATION: "0" })).toThrow(/NETLENS_TOKEN_EXPIRATION/);
  });
});
