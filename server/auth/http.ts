// What the API needs to know about an HTTP request, whatever adapter carried it (Next's fetch handler, the
// standalone server of the tests): its credentials, whether a browser sent it from our own pages, and a way
// to set the session cookie on the answer.

import { CLIENT_HEADER } from "../../lib/client-header";
import { type AddressRange, clientAddress, fromTrustedProxy } from "./proxies";

export const SESSION_COOKIE = "netlens_session";
/**
 * The TCP peer's address, as our web server (scripts/web.mjs) sets it on every request, replacing whatever a
 * client sent under that name. Next's own server only fills X-Forwarded-For when the client sent none, so that
 * header alone cannot tell a proxy's word from a client's.
 */
export const PEER_HEADER = "x-netlens-peer";

export type RequestFacts = {
  /** The session cookie's value, if any. */
  sessionCookie: string | undefined;
  /** The `Authorization: Bearer` value, if any. */
  bearer: string | undefined;
  /** The client's User-Agent, for the audit log. */
  userAgent: string | null;
  /** True when a browser may have sent this from another site: mutations on a cookie are then refused. */
  crossSite: boolean;
  /** The client's address, for rate limiting: the peer's, or what trusted proxies forwarded (proxies.ts). */
  address: string;
  /** HTTPS (directly or behind a proxy): the cookie gets `Secure`. */
  secure: boolean;
  setCookie(header: string): void;
};

function parseCookies(header: string | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    try {
      if (!out.has(name)) out.set(name, decodeURIComponent(value));
    } catch {
      // A malformed cookie of someone else's is not our business; ours are base64url.
    }
  }
  return out;
}

/**
 * HttpOnly (no script reads it), SameSite=Lax (not sent on cross-site subrequests), Path=/. Without Max-Age it
 * is a browser-session cookie; the server's idle expiry decides how long it is worth anything.
 */
export function sessionCookie(value: string, options: { secure: boolean; maxAgeSeconds?: number }): string {
  return [
    `${SESSION_COOKIE}=${value}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Lax",
    ...(options.maxAgeSeconds === undefined ? [] : [`Max-Age=${options.maxAgeSeconds}`]),
    ...(options.secure ? ["Secure"] : []),
  ].join("; ");
}

export const clearedSessionCookie = (secure: boolean) => sessionCookie("", { secure, maxAgeSeconds: 0 });

/**
 * Fetch Metadata first (every current browser sends Sec-Fetch-Site), then Origin against the Host the request
 * came to, then our client header for clients that send neither (the CLI, curl with a cookie).
 */
function isCrossSite(headers: Headers): boolean {
  const site = headers.get("sec-fetch-site");
  if (site !== null) return site !== "same-origin";
  const origin = headers.get("origin");
  if (origin !== null) {
    const host = headers.get("x-forwarded-host") ?? headers.get("host");
    try {
      return host === null || new URL(origin).host !== host;
    } catch {
      return true;
    }
  }
  return headers.get(CLIENT_HEADER) === null;
}

function bearerToken(headers: Headers): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.get("authorization") ?? "");
  return match?.[1];
}

/** `trustedProxies`: whose X-Forwarded-For and X-Forwarded-Proto count (NETLENS_TRUSTED_PROXIES). */
export function requestFacts(
  headers: Headers,
  url: URL | null,
  setCookie: (header: string) => void,
  trustedProxies: readonly AddressRange[] = [],
): RequestFacts {
  const peer = headers.get(PEER_HEADER);
  const forwardedProto = fromTrustedProxy(peer, trustedProxies)
    ? headers.get("x-forwarded-proto")?.split(",")[0]?.trim()
    : undefined;
  return {
    sessionCookie: parseCookies(headers.get("cookie")).get(SESSION_COOKIE),
    bearer: bearerToken(headers),
    userAgent: headers.get("user-agent"),
    crossSite: isCrossSite(headers),
    address: clientAddress(peer, headers.get("x-forwarded-for"), trustedProxies),
    secure: forwardedProto === "https" || url?.protocol === "https:",
    setCookie,
  };
}

/** Node's IncomingMessage headers (standalone adapter) as a fetch Headers. */
export function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  return headers;
}

/** A Host header worth putting in a link: a name or address and a port, nothing that could end the URL's host. */
const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The origin a client reached us at, for the links we hand out (Keystone's catalog, version documents): a
 * trusted proxy's X-Forwarded-Proto and X-Forwarded-Host, else the request's own Host header and scheme.
 */
export function publicOrigin(
  headers: Headers,
  url: URL,
  trustedProxies: readonly AddressRange[] = [],
): string {
  const proxied = fromTrustedProxy(headers.get(PEER_HEADER), trustedProxies);
  const first = (name: string) => (proxied ? headers.get(name)?.split(",")[0]?.trim() : undefined);
  const proto = first("x-forwarded-proto");
  const scheme = proto === "https" || proto === "http" ? proto : url.protocol.replace(/:$/, "");
  const host = [first("x-forwarded-host"), headers.get("host")].find(
    (h) => h !== undefined && h !== null && HOST.test(h),
  );
  return `${scheme}://${host ?? url.host}`;
}
