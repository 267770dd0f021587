// A plain JavaScript task module: no types, no compilation needed.
export async function run(ctx) {
  return { kind: 'mjs', doubled: ctx.params.n * 2 };
}
