/**
 * @file A training run's folder, `runs/<date>-<time>-<model>/`: what you look at afterwards.
 *   config.json      the exact command, the parsed flags, the backend, when it started
 *   metrics.jsonl    one JSON line per logged window of steps ({"kind":"step", epoch, step,
 *                    loss, acc or ppl, lr, rate}) and per epoch ({"kind":"epoch", …, the
 *                    validation and test scores, seconds})
 *   last.safetensors the checkpoint after the latest epoch (+ its .state training state,
 *                    so `--resume runs/…/last.safetensors` continues, in this same folder)
 *   best.safetensors the weights of the epoch with the best validation score
 *   report.html      the loss, score and learning-rate curves as inline SVG (no network)
 * The root is --runs (default: $WEBGPU_DL_RUNS, else ./runs); `--runs none` writes no folder.
 */
import { appendFile, mkdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { writeFileAtomic } from "../io/safetensors.ts";
import { svgLineChart, type Series } from "./chart.ts";

export interface StepRecord { kind: "step"; epoch: number; step: number; loss: number; acc?: number; ppl?: number; lr: number; rate: number }
export interface EpochRecord { kind: "epoch" | "test"; epoch: number; step: number; loss?: number; acc?: number; ppl?: number; seconds?: number; [score: string]: number | string | undefined }
type Record_ = StepRecord | EpochRecord;

/** The score the best checkpoint is chosen by: its name in metrics.jsonl and its direction. */
export interface BestBy { name: string; value: number; higher: boolean }

export class RunLog {
  private readonly records: Record_[] = [];
  private best: number | null = null;

  private constructor(readonly dir: string, readonly model: string) {}

  /**
   * A new folder under `root`, or, when `resume` lies in a run folder, that folder (its
   * metrics go on, its best score stands).
   */
  static async open(root: string, model: string, config: Record<string, unknown>, resume?: string): Promise<RunLog> {
    if (resume && existsSync(join(dirname(resume), "metrics.jsonl")) && existsSync(join(dirname(resume), "config.json"))) {
      const log = new RunLog(dirname(resume), model);
      const lines = (await readFile(join(log.dir, "metrics.jsonl"), "utf8")).split("\n").filter(Boolean);
      for (const l of lines) log.records.push(JSON.parse(l) as Record_);
      const best = log.records.filter((r) => r.kind === "epoch" && typeof r.best === "number").map((r) => (r as EpochRecord).best as number);
      log.best = best.length ? best[best.length - 1] : null;
      await appendFile(join(log.dir, "config.json.resumed"), `${JSON.stringify({ at: new Date().toISOString(), ...config })}\n`);
      return log;
    }
    const stamp = new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
    let dir = join(root, `${stamp}-${model}`);
    for (let k = 2; existsSync(dir); k++) dir = join(root, `${stamp}-${model}-${k}`);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, "config.json"), `${JSON.stringify({ started: new Date().toISOString(), ...config }, null, 2)}\n`);
    return new RunLog(dir, model);
  }

  get last(): string { return join(this.dir, "last.safetensors"); }
  get bestPath(): string { return join(this.dir, "best.safetensors"); }

  async log(r: Record_): Promise<void> {
    this.records.push(r);
    await appendFile(join(this.dir, "metrics.jsonl"), `${JSON.stringify(r)}\n`);
  }

  /** Whether `score` beats the best so far (then it becomes the best). */
  improves(score: BestBy): boolean {
    if (this.best !== null && (score.higher ? score.value <= this.best : score.value >= this.best)) return false;
    this.best = score.value;
    return true;
  }

  /** report.html: every curve of the run so far. */
  async report(): Promise<void> {
    const steps = this.records.filter((r): r is StepRecord => r.kind === "step");
    const epochs = this.records.filter((r): r is EpochRecord => r.kind !== "step");
    const scoreKeys = [...new Set(epochs.flatMap((e) => Object.keys(e).filter((k) => /^(val|test|held_out|dev)_/.test(k) && typeof e[k] === "number")))];
    const x = (r: Record_) => r.step;
    const colors = ["#1f8a4c", "#d62728", "#9467bd", "#8c564b"];
    const lossSeries: Series[] = [{ name: "train loss (16-step mean)", color: "#2457d6", points: steps.map((r) => [x(r), r.loss]) }];
    const scoreSeries: Series[] = [];
    if (steps.some((r) => r.acc !== undefined)) scoreSeries.push({ name: "train acc % (16-step mean)", color: "#2457d6", points: steps.map((r) => [x(r), r.acc!]) });
    if (steps.some((r) => r.ppl !== undefined)) scoreSeries.push({ name: "train perplexity", color: "#2457d6", points: steps.map((r) => [x(r), r.ppl!]) });
    scoreKeys.forEach((k, i) => (k.endsWith("_loss") ? lossSeries : scoreSeries).push({ name: k.replace(/_/g, " "), color: colors[i % colors.length], dots: true, points: epochs.filter((e) => typeof e[k] === "number").map((e) => [x(e), e[k] as number]) }));
    const charts = [
      svgLineChart({ title: "loss", xLabel: "step", yLabel: "loss", series: lossSeries }),
      scoreSeries.length ? svgLineChart({ title: "score", xLabel: "step", yLabel: scoreSeries.some((s) => s.name.includes("acc")) ? "accuracy %" : "score", series: scoreSeries }) : "",
      svgLineChart({ title: "learning rate", xLabel: "step", yLabel: "lr", logY: true, series: [{ name: "lr", color: "#ff7f0e", points: steps.map((r) => [x(r), r.lr]) }] }),
    ];
    const cols = ["loss", "acc", "ppl", ...scoreKeys, "seconds"].filter((k) => epochs.some((e) => typeof e[k] === "number"));
    const head = (k: string) => (k === "loss" || k === "acc" || k === "ppl" ? `train ${k}` : k.replace(/_/g, " "));
    const cell = (v: unknown) => (typeof v === "number" ? String(Number(v.toPrecision(5))) : "");
    const rows = epochs.map((e) => `<tr><td>${e.kind === "test" ? `test (after ${e.epoch})` : e.epoch}</td>${cols.map((k) => `<td>${cell(e[k])}</td>`).join("")}</tr>`).join("\n");
    const html = `<!doctype html><meta charset="utf-8"><title>${basename(this.dir)}</title>
<style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}</style>
<h1>${basename(this.dir)}</h1>
<p>${this.model}: ${steps.length ? steps[steps.length - 1].step : 0} steps, ${epochs.filter((e) => e.kind === "epoch").length} epoch(s); config.json has the command, metrics.jsonl the numbers.</p>
<table><tr><th>epoch</th>${cols.map((k) => `<th>${head(k)}</th>`).join("")}</tr>
${rows}</table>
${charts.filter(Boolean).map((c) => `<div>${c}</div>`).join("\n")}
`;
    await writeFileAtomic(join(this.dir, "report.html"), new TextEncoder().encode(html));
  }
}
