// Keystone v3 for OpenStack clients (`openstack`, openstacksdk): server/rest.
export {
  restRoute as DELETE,
  restRoute as GET,
  restRoute as HEAD,
  restRoute as PATCH,
  restRoute as POST,
  restRoute as PUT,
} from "@/server/rest/route";

export const dynamic = "force-dynamic";
