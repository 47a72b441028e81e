import { userCreate, userDelete, userList, userSetPassword } from "../../../lib/schemas/auth";
import { createUser, deleteUser, listUsers, setPassword } from "../../domain/users";
import { adminProcedure, router } from "../trpc";
import { write } from "../write";

/** Accounts are an admin's business: members cannot even list who else exists. */
export const userRouter = router({
  list: adminProcedure.input(userList).query(({ ctx }) => listUsers(ctx.db)),
  create: adminProcedure
    .input(userCreate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => createUser(tx, input))),
  delete: adminProcedure
    .input(userDelete)
    .mutation(({ ctx, input }) => write(ctx, (tx) => deleteUser(tx, input.id, ctx.session.userId))),
  setPassword: adminProcedure
    .input(userSetPassword)
    .mutation(({ ctx, input }) => write(ctx, (tx) => setPassword(tx, input.id, input.password, ctx.session))),
});
