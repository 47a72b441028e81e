// MAC addresses of new ports: Neutron's default base_mac fa:16:3e with three random bytes.
import { randomBytes } from "node:crypto";

export const randomMac = () =>
  `fa:16:3e:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, "0")).join(":")}`;
