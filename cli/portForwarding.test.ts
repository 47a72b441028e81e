// `netlens floating ip port forwarding …` with the openstack CLI's verbs and flags: the real command against the
// real router over HTTP (no OVS needed: nothing is applied).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestApi } from "../server/testkit";
import { servedAdminCli } from "./testing/api-server";

let api: TestApi;
type Served = Awaited<ReturnType<typeof servedAdminCli>>;
let served: Served | undefined;
let cli: Served["cli"];
let json: Served["json"];
let fip: string;
let vm2Ip: string;

beforeAll(async () => {
  served = await servedAdminCli("port forwarding test", { demo: true });
  ({ api, cli, json } = served);
  fip = (await api.caller.floatingIp.create({ floating_network_id: "public", project_id: "demo" }))
    .floating_ip_address;
  vm2Ip = (await api.caller.server.show({ id: "vm2" })).addresses["demo-net"]?.[0] ?? "";
}, 60_000);
afterAll(() => served?.close());

describe("netlens floating ip port forwarding", { timeout: 60_000 }, () => {
  it("creates, lists, shows, sets and deletes with openstack's flags", async () => {
    const created = await json(
      ...[
        "floating",
        "ip",
        "port",
        "forwarding",
        "create",
        "--internal-ip-address",
        vm2Ip,
        "--port",
        "vm2-port",
      ],
      ...["--internal-protocol-port", "8080", "--external-protocol-port", "9000", "--protocol", "tcp", fip],
    );
    expect(created).toMatchObject({ internal_port: 8080, external_port: 9000, protocol: "tcp" });
    const list = await json("floating", "ip", "port", "forwarding", "list", fip);
    expect(list).toEqual([
      expect.objectContaining({ id: created.id, internal_port: 8080, external_port: 9000, protocol: "tcp" }),
    ]);
    const table = await cli("floating", "ip", "port", "forwarding", "list", fip);
    expect(table.stdout).toMatch(/Internal IP Address.*External Port.*Protocol/);
    await cli(
      "floating",
      "ip",
      "port",
      "forwarding",
      "set",
      fip,
      created.id,
      "--external-protocol-port",
      "9001",
    );
    expect(await json("floating", "ip", "port", "forwarding", "show", fip, created.id)).toMatchObject({
      external_port: 9001,
      internal_port: 8080,
    });
    const gone = await cli("floating", "ip", "port", "forwarding", "delete", fip, created.id);
    expect(gone.code).toBe(0);
    expect(await json("floating", "ip", "port", "forwarding", "list", fip)).toEqual([]);
  });

  it("prints the API's error and exits non-zero on an internal address that is not the port's", async () => {
    const out = await cli(
      ...["floating", "ip", "port", "forwarding", "create", "--internal-ip-address", "10.0.0.250"],
      ...["--port", "vm2-port", "--internal-protocol-port", "8080", "--external-protocol-port", "9000"],
      ...["--protocol", "tcp", fip],
    );
    expect(out.code).not.toBe(0);
    expect(out.stderr).toMatch(
      /Requested internal IP address 10.0.0.250 is not suitable for internal neutron port/,
    );
    expect(await api.caller.portForwarding.list({ floatingip_id: fip })).toEqual([]);
  });
});
