/** @file Small generated text corpora for the text-model tests (seeded, so every run is the same). */
import { seeded } from "./gradcheck.ts";

const pick = <T>(rng: () => number, xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)];

/** Reviews: 3–11 filler words with one word that carries the sentiment (1 = positive). */
export function reviews(n: number, seed: number): { texts: string[]; y: Int32Array } {
  const rng = seeded(seed);
  const filler = ["the", "film", "was", "and", "plot", "a", "bit", "actors", "really", "story", "it", "very", "quite", "so"];
  const good = ["great", "loved", "excellent", "wonderful", "fun"];
  const bad = ["awful", "boring", "terrible", "hated", "dull"];
  const texts: string[] = [];
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng() < 0.5 ? 1 : 0;
    const words = Array.from({ length: 3 + Math.floor(rng() * 9) }, () => pick(rng, filler));
    words.splice(Math.floor(rng() * words.length), 0, pick(rng, y[i] ? good : bad));
    texts.push(words.join(" "));
  }
  return { texts, y };
}

/** A generated corpus: sentences from a tiny grammar, so the next character is often predictable. */
export function corpus(sentences: number, seed: number): string {
  const rng = seeded(seed);
  const subj = ["the cat", "a dog", "the bird", "my fox"], verb = ["sat on", "ran to", "looked at", "jumped over"], obj = ["the mat.", "a log.", "the moon.", "my hat."];
  return Array.from({ length: sentences }, () => `${pick(rng, subj)} ${pick(rng, verb)} ${pick(rng, obj)}`).join(" ");
}

