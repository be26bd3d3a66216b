/**
 * @file The benchmark page `npm run bench:browser` opens: runs the shared harness on the
 * backends in the URL (`?backends=cpu,webgpu,tfjs-cpu,tfjs-webgpu&runs=5&quick=1&case=TEXT&profile=1`)
 * and leaves the results on `window.benchResults` (or the error on `window.benchError`).
 */
import { ALL_BACKENDS, runBench, type BenchBackend, type Result } from "../harness.ts";

const q = new URLSearchParams(location.search);
const log = (line: string) => {
  document.getElementById("log")!.textContent += `\n${line}`;
  console.log(line);
};
const w = window as unknown as { benchResults?: Result[]; benchError?: string };
const backends = (q.get("backends") ?? ALL_BACKENDS.filter((b) => b !== "torch-cpu").join(",")).split(",") as BenchBackend[];
runBench({ quick: q.get("quick") === "1", runs: Number(q.get("runs") ?? 5), backends, filter: q.get("case") ?? undefined, profile: q.get("profile") === "1", log })
  .then((r) => (w.benchResults = r))
  .catch((e: Error) => {
    log(`error: ${e.message}`);
    w.benchError = e.message;
  });
