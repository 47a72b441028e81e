import { z } from "zod";
import { byRef, description, name } from "./common";

export const projectCreate = z.object({
  name: name.min(1, "A project needs a name"),
  description: description.default(""),
});
export const projectDelete = byRef;
export const projectShow = byRef;
export const projectList = z.object({}).optional();
