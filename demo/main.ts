/**
 * @file The demo page: load MNIST (the real IDX files), train LeNet-5 for one epoch with a
 * compiled step on the chosen backend, plot the loss, then evaluate on 2 000 test images.
 * Training yields to the browser between steps (each step awaits its loss), so the page
 * stays responsive. `?autostart=1&limit=N` starts at once (used by headless checks).
 */
import { DataLoader, LeNet5, compile, compileTrainStep, loadMnist, manualSeed, optim, setBackend, type Tensor } from "../src/index.ts";

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const log = (msg: string) => ($("log").textContent += `${msg}\n`);
const losses: number[] = [];

function plot(): void {
  const c = $<HTMLCanvasElement>("curve");
  const g = c.getContext("2d")!;
  g.clearRect(0, 0, c.width, c.height);
  if (losses.length < 2) return;
  const max = Math.max(...losses);
  g.strokeStyle = "#2457d6";
  g.lineWidth = 2;
  g.beginPath();
  losses.forEach((l, i) => {
    const x = (i / (losses.length - 1)) * (c.width - 20) + 10;
    const y = c.height - 10 - (l / max) * (c.height - 20);
    if (i === 0) g.moveTo(x, y);
    else g.lineTo(x, y);
  });
  g.stroke();
}

function argmaxRows(v: ArrayLike<number>, n: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    let best = 0;
    for (let j = 1; j < 10; j++) if (v[i * 10 + j] > v[i * 10 + best]) best = j;
    return best;
  });
}

async function train(): Promise<void> {
  $<HTMLButtonElement>("start").disabled = true;
  losses.length = 0;
  const wanted = $<HTMLSelectElement>("backend").value as "webgpu" | "cpu";
  let backend = wanted;
  try {
    await setBackend(wanted);
  } catch (e) {
    backend = "cpu";
    await setBackend("cpu");
    const n = $("notice");
    n.style.display = "block";
    n.textContent = `WebGPU is not available here (${(e as Error).message}); training on the CPU backend instead.`;
  }
  const limit = Number($<HTMLInputElement>("limit").value);
  const batch = Number($<HTMLInputElement>("batch").value);
  log(`backend ${backend}; loading MNIST…`);
  const [trainSet, testSet] = await Promise.all([loadMnist({ split: "train", limit, source: "." }), loadMnist({ split: "test", limit: 2000, source: "." })]);
  log(`loaded ${trainSet.count} training and ${testSet.count} test images`);
  manualSeed(0);
  const model = new LeNet5();
  const opt = new optim.Adam(model.parameters(), { lr: Number($<HTMLInputElement>("lr").value) });
  const step = compileTrainStep(model, opt);
  const loader = new DataLoader(trainSet.images, trainSet.labels, [1, 28, 28], { batchSize: batch, shuffle: true, seed: 0, dropLast: true });
  const t0 = performance.now();
  let seen = 0, correct = 0;
  for (const { x, y } of loader) {
    const { loss, logits } = step(x, y);
    const l = await loss.item();
    const pred = argmaxRows(await logits.data(), batch);
    const truth = await y.data();
    correct += pred.filter((p, i) => p === truth[i]).length;
    seen += batch;
    losses.push(l);
    $("loss").textContent = l.toFixed(3);
    $("acc").textContent = `${((100 * correct) / seen).toFixed(1)} %`;
    $("speed").textContent = ((seen / (performance.now() - t0)) * 1000).toFixed(0);
    plot();
  }
  model.eval();
  const predict = compile((x: Tensor) => model.forward(x));
  let right = 0;
  for (const { x, y } of new DataLoader(testSet.images, testSet.labels, [1, 28, 28], { batchSize: 500 })) {
    const pred = argmaxRows(await predict(x).data(), 500);
    const truth = await y.data();
    right += pred.filter((p, i) => p === truth[i]).length;
  }
  const acc = (100 * right) / testSet.count;
  $("test").textContent = `${acc.toFixed(1)} %`;
  log(`done: test accuracy ${acc.toFixed(2)} % on ${testSet.count} images`);
  document.body.dataset.done = String(acc);
  $<HTMLButtonElement>("start").disabled = false;
}

$("start").addEventListener("click", () => void train().catch((e) => log(`error: ${(e as Error).message}`)));
const params = new URLSearchParams(location.search);
if (params.get("limit")) $<HTMLInputElement>("limit").value = params.get("limit")!;
if (params.get("backend")) $<HTMLSelectElement>("backend").value = params.get("backend")!;
if (params.get("autostart")) void train().catch((e) => log(`error: ${(e as Error).message}`));
