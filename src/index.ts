/**
 * @file The public API of webgpu-dl: what a user calls (tensor ops, F, nn, optim, data, io,
 * models, compile / grad, backends, errors), and nothing else. The op registry, gradient
 * helpers and the planner are in `webgpu-dl/internals` (src/internals.ts).
 */
export { Tensor } from "./tensor.ts";
export type { DType, TypedArray } from "./dtype.ts";
export { tensor, scalar, full, zeros, ones, arange, rand, randn, fromArray } from "./creation.ts";
export type { NestedArray, RandomOptions } from "./creation.ts";
export { manualSeed } from "./random.ts";

export {
  neg, exp, log, sqrt, abs, sign, relu, tanh, sigmoid, softplus, square,
  add, sub, mul, div, pow, maximum, minimum,
  greater, greaterEqual, less, lessEqual, equal, notEqual, where, cast, detach,
} from "./ops/elementwise.ts";
export { sum, max, min, mean } from "./ops/reduce.ts";
export { expand } from "./ops/sum.ts";
export { reshape, permute, transpose, slice, pad, concat, split, unbind, flatten, squeeze, unsqueeze } from "./ops/movement.ts";
export { matmul, type MatmulOptions } from "./ops/matmul.ts";
export { conv2d, conv2dBackwardInput, conv2dBackwardFilter, im2col, col2im, type Conv2dOptions } from "./ops/conv2d.ts";
export { maxPool2dWithIndices, type Pool2dOptions } from "./ops/pool.ts";
export { gather, scatterAdd } from "./ops/gather.ts";
export { softmax, logSoftmax } from "./ops/softmax.ts";
export { softmaxCrossEntropy } from "./ops/softmax_xent.ts";

export * as F from "./functional.ts";
export * as nn from "./nn/index.ts";
export * as optim from "./optim/index.ts";
export { LeNet5, type LeNetVariant } from "./models/lenet5.ts";
export { LSTMClassifier } from "./models/lstm_classifier.ts";
export {
  TextClassifier, BagOfWordsClassifier, textClassifierMetadata, textClassifierFromMetadata, type TextClassifierOptions, type TextClassifierMeta,
} from "./models/text_classifier.ts";
export { CharLM, generate, charLMMetadata, charLMFromMetadata, type CharLMOptions, type GenerateOptions } from "./models/char_lm.ts";
export {
  SequenceTagger, taggerLoss, tagSentences, encodeSentences, decodeTags, taggerVocabulary, tagSet, taggerMetadata, taggerFromMetadata, wordShape, IGNORE,
  type SequenceTaggerOptions, type TaggerMeta,
} from "./models/tagger.ts";
export { SkipGram, skipGramLoss, WordVectors, parseQuery, skipGramMetadata, skipGramFromMetadata } from "./models/skipgram.ts";
export { SkipGramBatches, skipGramCorpus, skipGramPairs, noiseDistribution, type SkipGramCorpus, type SkipGramOptions } from "./text/skipgram.ts";
export { parseConll, formatConll, spans, spanF1, formatSpanScores, tagTokens, type TaggedSentence, type Span, type SpanScore } from "./text/conll.ts";
export { syntheticNer } from "./text/synthetic_ner.ts";
export { Vocabulary, wordTokens, charTokens, PAD, UNK, type VocabularyOptions } from "./text/vocab.ts";
export { parseLabeledTexts, padSequences, splitIndices, nextTokenWindows, streamWindows, type LabeledTexts } from "./data/text.ts";
export { compileTrainStep, type TrainStep, type TrainStepResult, type TrainStepOptions, type CarriedState } from "./train_step.ts";
export { loadMnist, MNIST_MEAN, MNIST_STD, type MnistSplit, type MnistOptions } from "./data/mnist.ts";
export { DataLoader, type DataLoaderOptions, type Batch, type Batches } from "./data/loader.ts";
export { DeviceLoader, type DeviceLoaderOptions } from "./data/device_loader.ts";
export { parseIdx, type IdxArray } from "./data/idx.ts";
export {
  saveSafetensors, loadSafetensors, readSafetensorsMetadata, stateDictBytes, loadStateDictBytes, serializeSafetensors, parseSafetensors, type NamedArray,
} from "./io/safetensors.ts";
export { exportOnnx, type OnnxInput } from "./io/onnx.ts";
export { crossEntropy, binaryCrossEntropyWithLogits, mseLoss, type Reduction } from "./losses.ts";
export { argmaxRows, countEqual, confusionMatrix } from "./metrics.ts";

export { grad, valueAndGrad, gradients } from "./graph/autodiff.ts";
export { compile, type Compiled, type TensorTree } from "./graph/compile.ts";
export type { Plan } from "./graph/plan.ts";
export { setBackend, getBackend, type Backend, type BackendName } from "./backends/backend.ts";

export {
  WebGpuDlError, ShapeError, DTypeError, IndexError, NonFiniteError, DeviceError, DeviceLostError, FormatError, GraphError,
} from "./errors.ts";
