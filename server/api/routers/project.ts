import { projectCreate, projectDelete, projectList, projectShow } from "../../../lib/schemas/project";
import { createProject, deleteProject, listProjects, showProject } from "../../domain/projects";
import { adminProcedure, memberProcedure, router } from "../trpc";
import { write } from "../write";

export const projectRouter = router({
  list: memberProcedure.input(projectList).query(({ ctx }) => listProjects(ctx.db, ctx.actor)),
  show: memberProcedure
    .input(projectShow)
    .query(({ ctx, input }) => showProject(ctx.db, ctx.actor, input.id)),
  create: adminProcedure
    .input(projectCreate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => createProject(tx, input))),
  delete: adminProcedure
    .input(projectDelete)
    .mutation(({ ctx, input }) => write(ctx, (tx) => deleteProject(tx, input.id))),
});
