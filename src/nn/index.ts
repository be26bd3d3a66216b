/** @file `nn`: modules and initialisers, as torch.nn. */
export { Module, Sequential } from "./module.ts";
export { Linear, Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d, Flatten, Dropout, ReLU, Tanh, Sigmoid, type Conv2dLayerOptions } from "./layers.ts";
export { defaultUniform, kaimingNormal, xavierUniform } from "./init.ts";
export { RNN, LSTM, GRU, type RecurrentOptions } from "./recurrent.ts";
export { Embedding } from "./embedding.ts";
