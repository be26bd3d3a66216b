/**
 * @file A SYNTHETIC named-entity corpus, for tests and examples where no tagged corpus can be
 * downloaded (CoNLL-2003 is licensed and not on the npm registry). Sentences come from
 * templates ("{PER} visited {LOC} on Monday .") filled with names drawn from small lists, with
 * BIO tags of the CoNLL-2003 types PER, LOC, ORG and MISC. Some names are ambiguous
 * (Jordan, Washington, Georgia are people and places; the context decides), entities run over
 * several tokens, and some sit next to each other ("Spain Italy win medals"), so a tagger
 * must use the context and the B-/I- boundaries. It is NOT real text: figures measured on it
 * say that the model and the scorer work, not how well they do on news.
 */
import { uniform } from "../random.ts";
import type { TaggedSentence } from "./conll.ts";

const NAMES: Record<string, string[]> = {
  PER: ["John Smith", "Maria Garcia", "Ahmed Khan", "Li Wei", "Anna Petrova", "Jordan", "Washington", "Georgia Brown", "Peter", "Elena", "Carlos Mendes",
    "Yuki Tanaka", "Olivia", "Kwame Mensah", "Sofia Rossi", "Hans Müller", "David", "Fatima Zahra", "Ivan", "Grace Okafor"],
  LOC: ["Berlin", "Kenya", "New York", "Jordan", "Washington", "Georgia", "Lake Victoria", "Spain", "Italy", "Rio de Janeiro", "Tokyo", "the Alps",
    "Cairo", "Lima", "Mount Kenya", "Oslo", "South Africa", "Quebec", "Hanoi", "Sydney"],
  ORG: ["Acme Corp", "the United Nations", "Reuters", "Globex Inc.", "the World Bank", "Red Cross", "Initech", "Nordic Air", "City Council", "FIFA",
    "Blue Harbor Bank", "Apex Labs", "the Senate", "Union Rail", "Sunrise Media"],
  MISC: ["English", "German", "Olympic", "Nobel Prize", "World Cup", "Italian", "Christmas", "Japanese", "Euro", "Grand Prix"],
};

const TEMPLATES = [
  "{PER} visited {LOC} on Monday .",
  "{PER} , a spokesman for {ORG} , said the deal was done .",
  "{ORG} opened a new office in {LOC} .",
  "{LOC} and {LOC} signed the agreement in {LOC} .",
  "{LOC} {LOC} win medals",
  "{PER} {PER} and {PER} met in {LOC} .",
  "the {MISC} team beat {LOC} 2 - 1 .",
  "{PER} won the {MISC} for the second time .",
  "shares of {ORG} fell 3 percent in {LOC} .",
  "{PER} told {ORG} that prices would rise .",
  "officials in {LOC} said {PER} had left .",
  "{PER} climbed {LOC} last year .",
  "{ORG} and {ORG} agreed to merge .",
  "she speaks {MISC} and {MISC} .",
  "{PER} moved from {LOC} to {LOC} in 1998 .",
  "the report by {ORG} praised {PER} .",
  "rain fell across {LOC} on Sunday .",
  "{PER} said the {MISC} market was calm .",
  "a court in {LOC} fined {ORG} .",
  "nothing happened today .",
];

/** A BIO-tagged synthetic sentence from one template. */
function fill(template: string, pick: (n: number) => number): TaggedSentence {
  const tokens: string[] = [];
  const tags: string[] = [];
  for (const part of template.split(" ")) {
    const slot = /^\{(\w+)\}$/.exec(part);
    if (!slot) {
      tokens.push(part);
      tags.push("O");
      continue;
    }
    const type = slot[1];
    const words = NAMES[type][pick(NAMES[type].length)].split(" ");
    words.forEach((w, i) => {
      tokens.push(w);
      tags.push(w === "the" && i === 0 ? "O" : `${i === 0 || (i === 1 && words[0] === "the") ? "B" : "I"}-${type}`);
    });
  }
  return { tokens, tags };
}

/** `count` seeded synthetic sentences (see the file's comment: not real text). */
export function syntheticNer(count: number, seed = 0): TaggedSentence[] {
  let draw = 0;
  const pick = (n: number) => Math.min(n - 1, Math.floor(uniform(seed, draw++) * n));
  return Array.from({ length: count }, () => fill(TEMPLATES[pick(TEMPLATES.length)], pick));
}
