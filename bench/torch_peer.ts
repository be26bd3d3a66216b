/**
 * @file PyTorch as a benchmark peer ("torch-cpu" in `npm run bench`, Node only): each case
 * timed by bench/torch/cases.py in a Python that has torch (float32 on the CPU, as many threads
 * as cores), the way bench/harness.ts times ours (one warm-up, samples of ≥ 2 ms, median).
 * Default peer where such a Python is found; never needed by CI.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Case } from "./cases.ts";
import type { ExternalTimer } from "./harness.ts";

const CANDIDATES = ["/usr/bin/python3", "python3", "python"];

/** The first interpreter among `candidates` that imports torch (and `also`), or null. */
export function pythonWithTorch(candidates = CANDIDATES, also = ""): string | null {
  for (const py of candidates) {
    try {
      execFileSync(py, ["-c", `import torch${also ? `, ${also}` : ""}`], { stdio: "ignore" });
      return py;
    } catch {
      // try the next one
    }
  }
  return null;
}

/** The first interpreter among `candidates` that imports torch and numpy, or an error that says how to get one. */
export function findPython(candidates: string[]): string {
  const py = pythonWithTorch(candidates, "numpy");
  if (py) return py;
  throw new Error(`no Python with torch and numpy among ${candidates.join(", ")}; install one (Debian 12: apt-get install -y python3-torch) or pass --python PATH`);
}

/**
 * bench/torch/cases.py as a file, or null where it is not one: the built package (its bundler
 * inlines the script, and lenet5.py beside it is not shipped) has no torch-cpu peer.
 */
export function torchScript(): string | null {
  const url = new URL("./torch/cases.py", import.meta.url);
  if (url.protocol !== "file:") return null;
  const path = fileURLToPath(url);
  return existsSync(path) && existsSync(path.replace(/cases\.py$/, "lenet5.py")) ? path : null;
}

/** The timer for `npm run bench`'s torch-cpu peer, on `py`, running `script` (torchScript()). */
export function torchTimer(py: string, script: string): ExternalTimer {
  return async (c: Case, runs: number) => {
    const out = execFileSync(py, [script, JSON.stringify(c.key), String(runs)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const r = JSON.parse(out.trim().split("\n").pop()!) as { skip?: boolean; median: number; min: number; max: number };
    return r.skip ? undefined : r;
  };
}
