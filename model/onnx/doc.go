// Package onnx imports ONNX models (https://onnx.ai, the ModelProto of
// onnx.proto, read with the generated types of
// github.com/advancedclimatesystems/gonnx/onnx) as float models of package
// model: a chain of dense layers, each y = W·x + B optionally followed by an
// activation. It is the only package that reads ONNX; the verifier does not
// link it.
//
// It reads what torch.onnx.export writes for feed-forward classifiers at
// opsets 9 to 21 (MinOpset, MaxOpset) and what scikit-learn's linear
// classifiers export as in the ONNX-ML domain (opsets 1 to 5). Ops lists
// every operator with its use; in short:
//
//   - exactly one graph input that is not an initializer, a float tensor of
//     shape [batch, d1, ..., dk]; InputSize is d1·...·dk, the features in
//     row-major order. Symbolic dimensions after the batch one are inferred
//     from the first layer's weight shape;
//   - dense layers: Gemm with transA=0, transB 0 or 1, any alpha and beta
//     and an optional C broadcastable to [out] (Y = alpha·A·B' + beta·C,
//     https://onnx.ai/onnx/operators/onnx__Gemm.html; the layer gets
//     W[o][i] = alpha·B'[i][o] and B[o] = beta·C[o]); MatMul of the
//     activations [batch, in] by a constant [in][out] matrix, so W = matrixᵀ
//     (a MatMul alone is a layer without bias); ai.onnx.ml.LinearClassifier
//     (https://onnx.ai/onnx/operators/onnx_aionnxml_LinearClassifier.html),
//     scores X·coefficientsᵀ + intercepts with coefficients row-major
//     [classes][features], post_transform NONE, LOGISTIC or SOFTMAX (which
//     do not change the largest score), the class labels in ClassLabels;
//     one score row with two class labels is a binary classifier;
//   - Relu after a dense layer (it sets that layer's ReLU flag, also after
//     the last layer);
//   - the other hidden activations after a dense layer (its Act, package
//     model/activation): LeakyRelu (alpha in [0, 1]), Tanh, Sigmoid when a
//     later node computes from it (a final one is the head below),
//     HardSigmoid (alpha, beta), HardSwish, Gelu with approximate "none"
//     (opset 20), and GELU's Erf form as torch exports it below opset 20,
//     Div(x, √2) or Mul(x, 1/√2), Erf, Add(·, 1), Mul(x, ·), Mul(·, 0.5) in
//     either order of the Muls, each constant checked (to 1e-6 for √2) and
//     no intermediate value read elsewhere; one activation per layer;
//   - affine nodes folded, in float64 before quantization, into the
//     adjacent dense layer: Add, Sub, Mul and Div of the activations by a
//     constant (the bias Add after a MatMul, input normalisation such as
//     (x − 0.1307) / 0.3081 written in forward), BatchNormalization in
//     inference mode and ai.onnx.ml.Scaler. Right after a layer, before its
//     activation, they fold into its outputs; on the graph input or after
//     an activation, into the inputs of the next layer: W[o][i] ← W[o][i]·s[i]
//     and B[o] ← B[o] + Σ_i W[o][i]·t[i] for x ↦ s⊙x + t;
//   - a final Softmax or LogSoftmax over the classes, or a final Sigmoid:
//     dropped, as they do not change which output is largest;
//   - a one-output model (one logit z, or a final Sigmoid of it): a binary
//     classifier, widened to the two outputs [0, z] (a zero row first) so
//     that the prediction, the first index of the largest output, is class
//     1 exactly when z > 0 and class 0 when z ≤ 0, as scikit-learn's
//     predict and sigmoid(z) > 0.5 decide;
//   - Identity, Dropout (inference), Flatten with axis 1, Reshape to
//     [batch, features], a Cast of the activations to a float type;
//   - constant computations, folded at import: Constant, Shape, Gather,
//     Unsqueeze, Squeeze, Concat, Cast, Reshape, Flatten, Relu and
//     Add/Sub/Mul/Div on constants, as produced by x.view(x.size(0), -1);
//   - the probability tail of an ONNX-ML classifier (Normalizer, ZipMap),
//     which feeds its probability output and not its label: dropped.
//
// Weights and biases must be initializers or Constant nodes of type float32
// (raw_data or float_data) or float64, and finite. Every fold and drop is
// listed in the model's Steps.
//
// A model with nodes outside this subset fails with an *Error that lists
// every one of them at once, activation functions split over several
// operators named as such (SiLU for Sigmoid, Mul; GELU's tanh
// approximation; a Div, Erf, Add, Mul, Mul group whose constants are not
// GELU's).
package onnx
