// For tests: the model told that a host's agent bound a workload's port (as its snapshot's `bindings` section
// would), without an agent.
import type { Db } from "../db/client";
import { recordBindings } from "./bindings";

export async function recordBound(db: Db, host: string, port: { id: string; network_id: string }) {
  await db.transaction((tx) =>
    recordBindings(tx, host, [
      {
        name: `tap-${port.id.slice(0, 8)}`,
        iface_id: port.id,
        attached_mac: null,
        state: "bound",
        port_id: port.id,
        network_id: port.network_id,
        tag: 1,
        message: null,
      },
    ]),
  );
}
