/**
 * @file Classification metrics on host arrays (what a training loop or a UI reads back):
 * argmax per row, count of correct predictions, confusion matrix.
 */
import { ShapeError } from "./errors.ts";

/** Index of the largest value in each row of a row-major [rows, classes] array (first on ties). */
export function argmaxRows(values: ArrayLike<number>, classes: number): Int32Array {
  if (!(classes > 0) || values.length % classes !== 0) {
    throw new ShapeError(`argmaxRows: ${values.length} values do not split into rows of ${classes} classes`);
  }
  const rows = values.length / classes;
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (values[i * classes + j] > values[i * classes + best]) best = j;
    out[i] = best;
  }
  return out;
}

/** How many predictions equal their labels. */
export function countEqual(pred: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (pred.length !== labels.length) throw new ShapeError(`countEqual: ${pred.length} predictions for ${labels.length} labels`);
  let n = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) n++;
  return n;
}

/** counts[truth·classes + pred]: row = true class, column = predicted class. */
export function confusionMatrix(pred: ArrayLike<number>, labels: ArrayLike<number>, classes: number): Int32Array {
  if (pred.length !== labels.length) throw new ShapeError(`confusionMatrix: ${pred.length} predictions for ${labels.length} labels`);
  const counts = new Int32Array(classes * classes);
  for (let i = 0; i < pred.length; i++) {
    const t = labels[i], p = pred[i];
    if (!(t >= 0 && t < classes && p >= 0 && p < classes)) {
      throw new ShapeError(`confusionMatrix: example ${i} has label ${t} and prediction ${p}, outside 0…${classes - 1}`);
    }
    counts[t * classes + p]++;
  }
  return counts;
}
