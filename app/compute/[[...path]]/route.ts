// Nova v2.1 (servers) for OpenStack clients (`openstack server list|show|delete`): server/rest.
export { restRoute as DELETE, restRoute as GET } from "@/server/rest/route";

export const dynamic = "force-dynamic";
