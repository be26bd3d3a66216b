/**
 * @file Every primitive, listed explicitly (no side-effect registration). Typed as
 * Record<OpName, OpDef> so an op named in ops/types.ts but missing here fails `tsc`.
 */
import type { OpDef, OpName } from "./types.ts";
import { BINARY_DEFS, COMPARE_DEFS, UNARY_DEFS, castDef, detachDef, whereDef } from "./elementwise.ts";
import { maxDef } from "./reduce.ts";
import { expandDef, sumDef, sumManyDef } from "./sum.ts";
import { concatDef, padDef, permuteDef, reshapeDef, sliceDef, splitDef } from "./movement.ts";
import { matmulDef } from "./matmul.ts";
import { col2imDef, im2colDef } from "./conv2d.ts";
import { avgPool2dBackwardDef, avgPool2dDef, col2imMaxPool2dBackwardDef, maxPool2dBackwardDef, maxPool2dDef } from "./pool.ts";
import { gatherBytesDef, gatherDef, scatterAddDef } from "./gather.ts";
import { softmaxCrossEntropyBackwardDef, softmaxCrossEntropyDef, softmaxCrossEntropyWithGradDef } from "./softmax_xent.ts";
import { dropoutDef } from "./dropout.ts";
import { lstmCellBackwardDef, lstmCellDef } from "./lstm_cell.ts";
import { gruCellBackwardDef, gruCellDef } from "./gru_cell.ts";
import { gruSequenceBackwardDef, gruSequenceDef, lstmSequenceBackwardDef, lstmSequenceDef } from "./recurrent_seq.ts";
import { adamHyperDef, adamUpdateDef, sgdUpdateDef } from "./optimizer_updates.ts";
import { sparseAdamUpdateDef, sparseSgdUpdateDef } from "./sparse_updates.ts";
import { matmulBiasActDef, matmulMaxPool2dBackwardDef, matmulRowSumDef } from "./matmul_epilogue.ts";
import { im2colMatmulDef } from "./im2col_matmul.ts";
import { allFiniteDef, allFiniteHyperDef } from "./guard.ts";
import { trainMeterDef } from "./meter.ts";
import { packDef } from "./pack.ts";

export const OPS: Record<OpName, OpDef> = {
  ...UNARY_DEFS,
  ...BINARY_DEFS,
  ...COMPARE_DEFS,
  where: whereDef,
  cast: castDef,
  detach: detachDef,
  sum: sumDef,
  sumMany: sumManyDef,
  max: maxDef,
  reshape: reshapeDef,
  permute: permuteDef,
  expand: expandDef,
  slice: sliceDef,
  pad: padDef,
  concat: concatDef,
  split: splitDef,
  matmul: matmulDef,
  im2col: im2colDef,
  col2im: col2imDef,
  maxPool2d: maxPool2dDef,
  maxPool2dBackward: maxPool2dBackwardDef,
  avgPool2d: avgPool2dDef,
  avgPool2dBackward: avgPool2dBackwardDef,
  col2imMaxPool2dBackward: col2imMaxPool2dBackwardDef,
  gather: gatherDef,
  gatherBytes: gatherBytesDef,
  scatterAdd: scatterAddDef,
  softmaxCrossEntropy: softmaxCrossEntropyDef,
  softmaxCrossEntropyBackward: softmaxCrossEntropyBackwardDef,
  softmaxCrossEntropyWithGrad: softmaxCrossEntropyWithGradDef,
  dropout: dropoutDef,
  lstmCell: lstmCellDef,
  lstmCellBackward: lstmCellBackwardDef,
  gruCell: gruCellDef,
  gruCellBackward: gruCellBackwardDef,
  lstmSequence: lstmSequenceDef,
  lstmSequenceBackward: lstmSequenceBackwardDef,
  gruSequence: gruSequenceDef,
  gruSequenceBackward: gruSequenceBackwardDef,
  adamHyper: adamHyperDef,
  adamUpdate: adamUpdateDef,
  sgdUpdate: sgdUpdateDef,
  sparseSgdUpdate: sparseSgdUpdateDef,
  sparseAdamUpdate: sparseAdamUpdateDef,
  matmulBiasAct: matmulBiasActDef,
  matmulRowSum: matmulRowSumDef,
  matmulMaxPool2dBackward: matmulMaxPool2dBackwardDef,
  im2colMatmul: im2colMatmulDef,
  allFinite: allFiniteDef,
  allFiniteHyper: allFiniteHyperDef,
  trainMeter: trainMeterDef,
  pack: packDef,
};
