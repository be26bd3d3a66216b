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

/** Tries of each case; the peer's best median counts. */
export const TORCH_TRIES = 2;

/**
 * The timer for `npm run bench`'s torch-cpu peer, on `py`, running `script` (torchScript()).
 * PyTorch's two OpenMP threads busy-wait for each other, so any other runnable thread on these
 * two cores (V8's compiler and GC helpers after our backend has run, or at start-up) makes a
 * LeNet-5 step 4–5× slower: 4.1–5.8 ms alone, 15–24 ms in some runs (2026-12-02). So each case
 * runs after a pause that lets our process settle, `TORCH_TRIES` times, and the lowest median
 * is the peer's figure: a busy moment on our side never counts against PyTorch.
 */
export function torchTimer(py: string, script: string, tries = TORCH_TRIES): ExternalTimer {
  return async (c: Case, runs: number) => {
    let best: { median: number; min: number; max: number } | undefined;
    for (let t = 0; t < tries; t++) {
      await new Promise((r) => setTimeout(r, 500));
      const out = execFileSync(py, [script, JSON.stringify(c.key), String(runs)], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
      const r = JSON.parse(out.trim().split("\n").pop()!) as { skip?: boolean; median: number; min: number; max: number };
      if (r.skip) return undefined;
      if (!best || r.median < best.median) best = r;
    }
    return best;
  };
}
