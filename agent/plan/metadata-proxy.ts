// The metadata proxy of a router (or of an isolated network's DHCP namespace), as Neutron's agents run it:
// haproxy listening on 9697 inside a router's namespace, where the nat table redirects 169.254.169.254:80 from
// the router's interfaces (lib/router-nat.ts), or on 169.254.169.254:80 itself in a DHCP namespace (the address
// is on its port), forwarding to the agent's relay socket with the router's (or network's) ID set and the
// client's address in X-Forwarded-For — the client's own copies of both removed.
// Pure: the daemon and its configuration text.
import { METADATA_HEADERS, type MetadataVia } from "../../lib/metadata-signature";
import { METADATA_ADDRESS, METADATA_PROXY_PORT } from "../../lib/router-nat";
import type { DesiredDaemon } from "./pictures";

/** haproxy drops root for these as it starts (the relay's socket lets this group in). */
export const PROXY_USER = "nobody";
export const PROXY_GROUP = "nogroup";

/** Where the agent keeps the proxies' files, and the relay's socket they forward to. */
export type MetadataSettings = { metadataDir: string; relaySocket: string };

export function metadataProxyPaths(metadataDir: string, id: string) {
  const dir = `${metadataDir}/${id}`;
  return { dir, config: `${dir}/haproxy.cfg`, pid: `${dir}/pid` };
}

export function renderHaproxyConfig(via: MetadataVia, relaySocket: string): string {
  const viaHeader = via.kind === "router" ? METADATA_HEADERS.router : METADATA_HEADERS.network;
  const bind = via.kind === "router" ? `0.0.0.0:${METADATA_PROXY_PORT}` : `${METADATA_ADDRESS}:80`;
  return `global
    daemon
    user ${PROXY_USER}
    group ${PROXY_GROUP}
    maxconn 1024

defaults
    mode http
    option http-server-close
    option forwardfor
    retries 3
    timeout http-request 30s
    timeout connect 30s
    timeout client 32s
    timeout server 32s
    timeout http-keep-alive 30s

listen listener
    bind ${bind}
    server metadata ${relaySocket}
    http-request del-header ${METADATA_HEADERS.router}
    http-request del-header ${METADATA_HEADERS.network}
    http-request del-header ${METADATA_HEADERS.signature}
    http-request del-header ${METADATA_HEADERS.client}
    http-request set-header ${viaHeader} ${via.id}
`;
}

/** The proxy of a router (or network) as a daemon of its namespace; `-p`: the pid file that makes it ours. */
export function metadataProxy(via: MetadataVia, settings: MetadataSettings): DesiredDaemon {
  const paths = metadataProxyPaths(settings.metadataDir, via.id);
  return {
    program: "haproxy",
    dir: paths.dir,
    pidFile: paths.pid,
    args: ["-f", paths.config, "-p", paths.pid],
    files: { [paths.config]: renderHaproxyConfig(via, settings.relaySocket) },
  };
}
