/**
 * @file The demo page. All computation happens in worker.ts; this file turns the controls into
 * requests and draws the replies: loss chart, stats, test digits, confusion matrix, conv1
 * filters and feature maps, and the drawing pad's probabilities.
 *
 * URL parameters preset the controls (used by the end-to-end tests, handy for links):
 * `backend`, `variant`, `optimizer`, `schedule`, `lr`, `batch`, `epochs`, `limit`, `testLimit` (test images
 * evaluated, default 2 000) and `autostart=1`; `readDelay` (ms) holds each read of the meter,
 * so the tests can press Reset while one is under way.
 */
import type { Reply, Request, TrainConfig } from "./protocol.ts";
import { padToMnist, paintChart, paintDigit, paintMap } from "./draw.ts";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
const send = (req: Request, transfer: Transferable[] = []) => worker.postMessage(req, transfer);

const losses: number[] = [];
const tests: { at: number; acc: number }[] = [];
let state: "loading" | "idle" | "training" | "paused" | "done" = "loading";
let hasModel = false;
let selected = 0;
let chartQueued = false;
let findingLr = false;

function log(msg: string): void {
  const el = $("log");
  el.textContent += `${new Date().toLocaleTimeString()}  ${msg}\n`;
  el.scrollTop = el.scrollHeight;
}

function showError(msg: string | null): void {
  const el = $("error");
  el.style.display = msg ? "block" : "none";
  el.textContent = msg ?? "";
}

function redrawChart(): void {
  if (chartQueued) return;
  chartQueued = true;
  requestAnimationFrame(() => {
    chartQueued = false;
    paintChart($<HTMLCanvasElement>("curve"), losses, tests);
  });
}

/** Enables exactly the buttons that make sense in the current state. */
function syncButtons(): void {
  const busy = state === "training" || state === "paused";
  $<HTMLButtonElement>("start").disabled = state === "loading" || busy || findingLr;
  $<HTMLButtonElement>("findLr").disabled = state === "loading" || busy || findingLr;
  $<HTMLButtonElement>("start").textContent = hasModel && !busy ? "Train more" : "Start";
  $<HTMLButtonElement>("pause").disabled = !busy;
  $<HTMLButtonElement>("pause").textContent = state === "paused" ? "Resume" : "Pause";
  $<HTMLButtonElement>("reset").disabled = state === "loading" || (!busy && !hasModel);
  $<HTMLButtonElement>("save").disabled = !hasModel || state === "training";
  $<HTMLInputElement>("loadFile").disabled = state === "loading" || busy;
  $("loadLabel").classList.toggle("disabled", state === "loading" || busy);
  for (const id of ["backend", "variant", "optimizer", "schedule", "lr", "batch", "epochs", "limit"]) $<HTMLInputElement>(id).disabled = busy;
  document.body.dataset.state = state;
}

function config(): TrainConfig {
  const num = (id: string) => Number($<HTMLInputElement>(id).value);
  return {
    backend: $<HTMLSelectElement>("backend").value as TrainConfig["backend"],
    variant: $<HTMLSelectElement>("variant").value as TrainConfig["variant"],
    optimizer: $<HTMLSelectElement>("optimizer").value as TrainConfig["optimizer"],
    schedule: $<HTMLSelectElement>("schedule").value as TrainConfig["schedule"],
    lr: num("lr"),
    batch: num("batch"),
    epochs: num("epochs"),
    limit: num("limit"),
    readDelayMs: Number(params.get("readDelay") ?? 0),
  };
}

/** What is wrong with the settings (shown, never silently corrected), or null. */
function invalid(c: TrainConfig): string | null {
  if (!(c.lr > 0)) return "The learning rate must be a positive number.";
  for (const [name, v] of [["Epochs", c.epochs], ["Batch", c.batch], ["Training images", c.limit]] as const) {
    if (!Number.isInteger(v) || v < 1) return `${name} must be a whole number of at least 1 (it is "${v}").`;
  }
  if (c.batch > c.limit) return `The batch (${c.batch}) is larger than the number of training images (${c.limit}).`;
  return null;
}

function startFindLr(): void {
  const c = config();
  const bad = invalid(c);
  if (bad) return showError(bad);
  showError(null);
  findingLr = true;
  syncButtons();
  log(`find LR: ${c.optimizer}, batch ${c.batch}, rates from 1e-7 to 10 over up to 100 batches (the model is put back afterwards)`);
  send({ type: "findLr", config: c });
}

function start(): void {
  const c = config();
  const bad = invalid(c);
  if (bad) return showError(bad);
  showError(null);
  log(`start: LeNet-5 ${c.variant}, ${c.optimizer} lr ${c.lr}${c.schedule === "onecycle" ? " (one-cycle peak)" : ""}, batch ${c.batch}, ${c.epochs} epoch(s) on ${c.limit} images, ${c.backend} requested`);
  send({ type: "start", config: c });
}

function renderDigits(samples: { pixels: Uint8Array; label: number; pred: number }[]): void {
  const box = $("digits");
  box.replaceChildren();
  samples.forEach((s, i) => {
    const cell = document.createElement("div");
    cell.className = `digit${s.pred !== s.label ? " wrong" : ""}${i === selected ? " selected" : ""}`;
    cell.title = `true ${s.label}, predicted ${s.pred}`;
    cell.dataset.index = String(i);
    const c = document.createElement("canvas");
    paintDigit(c, s.pixels);
    const tag = document.createElement("span");
    tag.textContent = String(s.pred);
    cell.append(c, tag);
    cell.addEventListener("click", () => {
      selected = i;
      box.querySelectorAll(".digit").forEach((d) => d.classList.toggle("selected", d === cell));
      send({ type: "inspect", index: i });
    });
    box.append(cell);
  });
}

function renderConfusion(counts: Int32Array): void {
  const max = Math.max(...counts);
  const table = document.createElement("table");
  table.className = "confusion";
  const head = table.insertRow();
  head.append(Object.assign(document.createElement("th"), { textContent: "" }));
  for (let p = 0; p < 10; p++) head.append(Object.assign(document.createElement("th"), { textContent: String(p) }));
  for (let t = 0; t < 10; t++) {
    const row = table.insertRow();
    row.append(Object.assign(document.createElement("th"), { textContent: String(t) }));
    for (let p = 0; p < 10; p++) {
      const n = counts[t * 10 + p];
      const cell = row.insertCell();
      cell.textContent = n ? String(n) : "";
      const a = n ? 0.12 + 0.88 * (n / max) : 0;
      // the diagonal in blue, confusions in red
      cell.style.background = t === p ? `rgba(36, 87, 214, ${a})` : `rgba(210, 60, 60, ${Math.min(1, a * 3)})`;
      cell.style.color = a > 0.55 ? "white" : "";
    }
  }
  $("confusion").replaceChildren(table);
}

function renderInspection(r: Extract<Reply, { type: "inspection" }>): void {
  const captioned = (canvas: HTMLCanvasElement, text: string) => {
    const d = document.createElement("div");
    d.append(canvas, Object.assign(document.createElement("div"), { className: "cap", textContent: text }));
    return d;
  };
  $("filters").replaceChildren(...Array.from({ length: 6 }, (_, k) => {
    const c = document.createElement("canvas");
    paintMap(c, r.filters.subarray(k * 25, (k + 1) * 25), 5, 5, true);
    return captioned(c, `filter ${k + 1}`);
  }));
  $("maps").replaceChildren(...Array.from({ length: 6 }, (_, k) => {
    const c = document.createElement("canvas");
    paintMap(c, r.maps.subarray(k * 784, (k + 1) * 784), 28, 28);
    return captioned(c, `map ${k + 1}`);
  }));
  $("mapsFor").textContent = `(for test digit #${r.index + 1}, a ${r.label})`;
}

function renderProbs(probs: Float32Array | null): void {
  const box = $("probs");
  const best = probs ? probs.indexOf(Math.max(...probs)) : -1;
  box.replaceChildren(...Array.from({ length: 10 }, (_, d) => {
    const p = probs ? probs[d] : 0;
    const bar = document.createElement("div");
    bar.className = `p${d === best ? " top" : ""}`;
    const fill = document.createElement("div");
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    bar.append(fill);
    return [Object.assign(document.createElement("b"), { textContent: String(d) }), bar, Object.assign(document.createElement("span"), { textContent: probs ? `${(100 * p).toFixed(1)}%` : "" })];
  }).flat());
  if (probs) {
    $("predicted").textContent = `Prediction: ${best} (${(100 * probs[best]).toFixed(1)} %)`;
    $("predicted").dataset.digit = String(best);
  }
}

worker.onmessage = (e: MessageEvent<Reply>) => {
  const r = e.data;
  switch (r.type) {
    case "loading":
      $("loadingBar").style.width = `${(100 * r.fraction).toFixed(1)}%`;
      $("loadingText").textContent = `Loading MNIST… ${(100 * r.fraction).toFixed(0)} %`;
      break;
    case "loaded":
      $("loading").style.display = "none";
      log(`MNIST loaded: ${r.train} training and ${r.test} test images`);
      state = "idle";
      syncButtons();
      if (params.get("autostart")) start();
      break;
    case "backend":
      $("backendBadge").textContent = `backend: ${r.name}`;
      document.body.dataset.backend = r.name;
      $("notice").style.display = r.note ? "block" : "none";
      $("notice").textContent = r.note;
      if (r.note) log(r.note);
      break;
    case "state":
      state = r.state;
      if (r.state === "training") {
        hasModel = true;
        if ($("predicted").dataset.digit === undefined) clearPad();
      }
      if (r.state === "idle") {
        hasModel = false;
        losses.length = 0;
        tests.length = 0;
        for (const id of ["progress", "loss", "acc", "test", "speed", "msPerStep", "rate"]) $(id).textContent = "–";
        $("epochLabel").textContent = "progress";
        delete document.body.dataset.testAcc;
        document.body.dataset.steps = "0";
        $("stepBar").style.width = "0";
        // the old model's answer leaves with it
        clearPad();
        redrawChart();
      }
      if (r.state === "done") log("training finished");
      syncButtons();
      break;
    case "step":
      // only a run in progress reports steps (never one that was reset)
      if (state !== "training" && state !== "paused") break;
      // one point per step of the window, at the window's mean loss
      for (let k = 0; k < r.window; k++) losses.push(r.loss);
      $("epochLabel").textContent = `epoch ${r.epoch} of ${$<HTMLInputElement>("epochs").value}`;
      $("progress").textContent = `${r.step}/${r.steps}`;
      $("stepBar").style.width = `${((100 * r.step) / r.steps).toFixed(1)}%`;
      $("loss").textContent = r.loss.toFixed(3);
      $("acc").textContent = `${r.trainAcc.toFixed(1)} %`;
      $("speed").textContent = r.imagesPerSec.toFixed(0);
      $("msPerStep").textContent = `${r.msPerStep.toFixed(0)} ms`;
      $("rate").textContent = r.lr >= 1e-3 ? r.lr.toPrecision(2) : r.lr.toExponential(1);
      document.body.dataset.steps = String(losses.length);
      redrawChart();
      break;
    case "evaluated":
      tests.push({ at: losses.length, acc: r.testAcc });
      $("test").textContent = `${r.testAcc.toFixed(1)} %`;
      document.body.dataset.testAcc = String(r.testAcc);
      if (r.epoch > 0) log(`epoch ${r.epoch}: test accuracy ${r.testAcc.toFixed(2)} % on ${r.confusion.reduce((a, b) => a + b, 0)} images`);
      renderDigits(r.samples);
      renderConfusion(r.confusion);
      send({ type: "inspect", index: selected });
      redrawChart();
      break;
    case "lrProgress":
      $("progress").textContent = `lr test ${r.step}/${r.steps}`;
      $("stepBar").style.width = `${((100 * r.step) / r.steps).toFixed(1)}%`;
      break;
    case "lrFound": {
      findingLr = false;
      $("lrCard").style.display = "";
      $("lrCurve").innerHTML = r.svg;
      $("lrCurve").querySelector("svg")?.setAttribute("style", "width:100%;height:auto");
      const lr = Number(r.suggestion.toPrecision(2));
      $<HTMLInputElement>("lr").value = String(lr);
      $("lrNote").textContent = `Suggested learning rate ${lr} (${r.rule}; the sweep ended: ${r.stopped}). It is now in the Learning rate field.`;
      $("progress").textContent = "–";
      $("stepBar").style.width = "0";
      document.body.dataset.suggestedLr = String(lr);
      log(`find LR: suggested ${lr} (${r.rule.split(":")[0]}), set as the learning rate`);
      syncButtons();
      break;
    }
    case "prediction":
      renderProbs(r.probs);
      break;
    case "inspection":
      renderInspection(r);
      break;
    case "saved": {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(new Blob([r.bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }));
      a.download = `lenet5-${$<HTMLSelectElement>("variant").value}.safetensors`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
      log(`saved weights (${r.bytes.length} bytes)`);
      break;
    }
    case "weightsLoaded":
      hasModel = true;
      if ($("predicted").dataset.digit === undefined) clearPad();
      showError(null);
      log(`loaded weights from ${r.name}: test accuracy ${r.testAcc.toFixed(2)} %`);
      syncButtons();
      break;
    case "error":
      if (r.context === "find LR") findingLr = false;
      syncButtons();
      showError(`${r.context}: ${r.message}`);
      log(`error (${r.context}): ${r.message}`);
      document.body.dataset.error = r.message;
      break;
  }
};
worker.onerror = (e) => {
  showError(`The training worker failed: ${e.message}`);
  log(`worker error: ${e.message}`);
};

// ---- controls -------------------------------------------------------------------------------
for (const id of ["backend", "variant", "optimizer", "schedule", "lr", "batch", "epochs", "limit"]) {
  const v = params.get(id);
  if (v !== null) $<HTMLInputElement>(id).value = v;
}
if (!("gpu" in navigator)) {
  $<HTMLSelectElement>("backend").value = "cpu";
  $("notice").style.display = "block";
  $("notice").textContent = "This browser has no WebGPU (navigator.gpu is missing), so the CPU backend is selected.";
}
$("start").addEventListener("click", start);
$("findLr").addEventListener("click", startFindLr);
$("pause").addEventListener("click", () => send({ type: state === "paused" ? "resume" : "pause" }));
$("reset").addEventListener("click", () => send({ type: "reset" }));
$("save").addEventListener("click", () => send({ type: "save" }));
$<HTMLInputElement>("loadFile").addEventListener("change", async (e) => {
  const input = e.target as HTMLInputElement;
  const file = input.files?.[0];
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  input.value = "";
  send({ type: "loadWeights", bytes, name: file.name, backend: config().backend }, [bytes.buffer]);
});

// ---- drawing pad ----------------------------------------------------------------------------
const pad = $<HTMLCanvasElement>("pad");
const pen = pad.getContext("2d")!;
function clearPad(): void {
  pen.fillStyle = "#000";
  pen.fillRect(0, 0, pad.width, pad.height);
  renderProbs(null);
  delete $("predicted").dataset.digit;
  $("predicted").textContent = hasModel ? "Draw a digit in the black square; the model's probabilities appear here." : "Train or load a model first; then draw a digit in the black square to see its probabilities.";
}
clearPad();
let drawing = false;
let last: [number, number] | null = null;
const at = (e: PointerEvent): [number, number] => {
  const r = pad.getBoundingClientRect();
  return [((e.clientX - r.left) / r.width) * pad.width, ((e.clientY - r.top) / r.height) * pad.height];
};
pad.addEventListener("pointerdown", (e) => {
  drawing = true;
  pad.setPointerCapture(e.pointerId);
  last = at(e);
});
pad.addEventListener("pointermove", (e) => {
  if (!drawing || !last) return;
  const p = at(e);
  pen.strokeStyle = "#fff";
  pen.lineWidth = 20;
  pen.lineCap = "round";
  pen.beginPath();
  pen.moveTo(...last);
  pen.lineTo(...p);
  pen.stroke();
  last = p;
});
const finishStroke = () => {
  if (!drawing) return;
  drawing = false;
  last = null;
  // no model yet: say so under the pad (not as an error banner)
  if (!hasModel) {
    $("predicted").textContent = "No model yet: press Start (or Load weights), then draw again.";
    return;
  }
  const pixels = padToMnist(pad);
  if (pixels) send({ type: "predict", pixels }, [pixels.buffer]);
};
pad.addEventListener("pointerup", finishStroke);
pad.addEventListener("pointercancel", finishStroke);
$("clear").addEventListener("click", clearPad);

syncButtons();
redrawChart();
send({ type: "load", base: new URL("./", location.href).href, testLimit: Number(params.get("testLimit") ?? 2000) });
