import { keypairCreate, keypairDelete, keypairShow } from "../../../lib/schemas/keypair";
import { createKeypair, deleteKeypair, listKeypairs, showKeypair } from "../../domain/keypairs";
import { memberProcedure, router } from "../trpc";
import { write } from "../write";

export const keypairRouter = router({
  list: memberProcedure.query(({ ctx }) => listKeypairs(ctx.db, ctx.actor)),
  show: memberProcedure
    .input(keypairShow)
    .query(({ ctx, input }) => showKeypair(ctx.db, ctx.actor, input.id)),
  // Each user's own, as API tokens are: members keep theirs too (they change no part of the model).
  create: memberProcedure
    .input(keypairCreate)
    .mutation(({ ctx, input }) => write(ctx, (tx) => createKeypair(tx, input))),
  delete: memberProcedure
    .input(keypairDelete)
    .mutation(({ ctx, input }) => write(ctx, (tx) => deleteKeypair(tx, input.id))),
});
