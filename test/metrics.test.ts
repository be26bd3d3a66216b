import { describe, expect, it } from "vitest";
import { ShapeError, argmaxRows, confusionMatrix, countEqual } from "../src/index.ts";

describe("classification metrics", () => {
  it("argmaxRows takes the first largest value of each row", () => {
    expect([...argmaxRows([0, 3, 1, 5, 5, 2, -1, -2, -3], 3)]).toEqual([1, 0, 0]);
    expect(() => argmaxRows([1, 2, 3], 2)).toThrow(ShapeError);
    expect(() => argmaxRows([1, 2, 3], 2)).toThrow("argmaxRows: 3 values do not split into rows of 2 classes");
  });
  it("countEqual and confusionMatrix (rows: truth, columns: prediction)", () => {
    const pred = [0, 1, 1, 2, 2, 2], truth = [0, 1, 2, 2, 2, 0];
    expect(countEqual(pred, truth)).toBe(4);
    expect([...confusionMatrix(pred, truth, 3)]).toEqual([1, 0, 1, 0, 1, 0, 0, 1, 2]);
    expect(() => confusionMatrix([3], [0], 3)).toThrow("confusionMatrix: example 0 has label 0 and prediction 3, outside 0…2");
    expect(() => countEqual([1], [1, 2])).toThrow("countEqual: 1 predictions for 2 labels");
  });
});
