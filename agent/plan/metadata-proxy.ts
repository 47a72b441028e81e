// The metadata proxy of a router (or of an isolated network's DHCP namespace), as Neutron's L3 agent runs it:
// haproxy listening on 9697 inside the namespace, where the nat table redirects 169.254.169.254:80 from the
// router's interfaces (lib/router-nat.ts), forwarding to the agent's relay socket with the router's (or
// network's) ID set and the client's address in X-Forwarded-For — the client's own copies of both removed.
// Pure: the configuration text.
import { METADATA_HEADERS, type MetadataVia } from "../../lib/metadata-signature";

export const METADATA_PROXY_PORT = 9697;

export type MetadataProxyConfig = {
  via: MetadataVia;
  /** The agent's relay (agent/metadata/relay.ts). */
  socketPath: string;
  pidFile: string;
  /** haproxy drops root for these as it starts (the relay socket lets this group in). */
  user: string;
  group: string;
};

export function renderHaproxyConfig(c: MetadataProxyConfig): string {
  const viaHeader = c.via.kind === "router" ? METADATA_HEADERS.router : METADATA_HEADERS.network;
  return `global
    daemon
    user ${c.user}
    group ${c.group}
    maxconn 1024
    pidfile ${c.pidFile}

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
    bind 0.0.0.0:${METADATA_PROXY_PORT}
    server metadata ${c.socketPath}
    http-request del-header ${METADATA_HEADERS.router}
    http-request del-header ${METADATA_HEADERS.network}
    http-request del-header ${METADATA_HEADERS.signature}
    http-request del-header ${METADATA_HEADERS.client}
    http-request set-header ${viaHeader} ${c.via.id}
`;
}
