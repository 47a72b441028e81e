// Keystone v3 for OpenStack clients (`openstack`, openstacksdk): server/rest.
export {
  restRoute as DELETE,
  restRoute as GET,
  restRoute as HEAD,
  restRoute as POST,
} from "@/server/rest/route";

export const dynamic = "force-dynamic";
