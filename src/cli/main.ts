/**
 * @file `npx webgpu-dl <command> …` from an installed package (bin/webgpu-dl.js runs the
 * built form of this file): train, sample, predict, export, tag, similar and plan, with the flags of the npm
 * scripts of the same names. `bench` runs the benchmarks, built beside it as dist/bench.js.
 */
const COMMANDS: Record<string, () => Promise<unknown>> = {
  // the benchmarks are built beside this file (dist/bench.js) and take the same flags as npm run bench
  bench: async () => (await import(/* @vite-ignore */ new URL("./bench.js", import.meta.url).href)).main(),
  train: () => import("./train.ts"),
  sample: () => import("./sample.ts"),
  predict: () => import("./predict.ts"),
  export: () => import("./export.ts"),
  tag: () => import("./tag.ts"),
  similar: () => import("./similar.ts"),
  plan: () => import("./plan.ts"),
};

const USAGE = `usage: webgpu-dl <command> [options]   (each command's --help lists its options)
  train     train a model (LeNet-5 on MNIST by default; --model lstm|textclf|bow|charlm|tagger|skipgram)
  sample    generate text from a char-LM checkpoint
  predict   classify PNG digits or texts with a checkpoint (tagger, skipgram, charlm: tag, similar, sample)
  export    write a lenet5, lstm, textclf or bow checkpoint as an ONNX model
  tag       tag sentences with a tagger checkpoint
  similar   nearest words and analogies in skip-gram vectors
  plan      the compiled training step's kernels, bytes and dispatches, without running it
  bench     the benchmarks (npm run bench's flags): our CPU and WebGPU backends, and TensorFlow.js or
            jax-js where installed beside it; results go to ./bench/results/`;

const [command, ...rest] = process.argv.slice(2);
if (!command || command === "--help" || command === "-h") {
  process.stdout.write(`${USAGE}\n`);
  process.exit(command ? 0 : 2);
}
const load = COMMANDS[command];
if (!load) {
  process.stderr.write(`webgpu-dl: unknown command "${command}"\n\n${USAGE}\n`);
  process.exit(2);
}
// each command reads process.argv.slice(2) as its own flags
process.argv = [process.argv[0], process.argv[1], ...rest];
await load();
export {};
