// Keystone's service catalog: where the identity, network, compute and image services of this netlens answer, one
// public endpoint each in region RegionOne, at the origin the client reached us by (server/auth/http.ts).
export const REGION = "RegionOne";

const SERVICES = [
  { type: "identity", name: "keystone", path: "/identity" },
  { type: "network", name: "neutron", path: "/networking" },
  { type: "compute", name: "nova", path: "/compute/v2.1" },
  { type: "image", name: "glance", path: "/image" },
] as const;

export function catalog(origin: string) {
  return SERVICES.map(({ type, name, path }) => ({
    id: type,
    type,
    name,
    endpoints: [
      {
        id: `${type}-public`,
        interface: "public",
        region: REGION,
        region_id: REGION,
        url: `${origin}${path}`,
      },
    ],
  }));
}
