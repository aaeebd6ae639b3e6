package model

import (
	"errors"
	"fmt"
)

// This file holds the spatial layers of a convolutional network: 2-D
// convolution, max pooling, average (sum) pooling and global average
// pooling, applied in order to the input viewed as [C][H][W] before the
// dense layers. The activations between the last spatial layer and the first
// dense layer are flattened in row-major [C][H][W] order, as torch's
// x.view(n, -1) and nn.Flatten() lay them out (the implicit flatten: no
// layer of its own).

// Spatial layer kinds.
const (
	// KindConv2D: acc[o][y][x] = B[o] + Σ_{c,i,j} W[o][c][i][j]·a[c][y·SH+i−PadTop][x·SW+j−PadLeft],
	// positions outside the input counting as zero (ONNX Conv with
	// dilation 1 and group 1), then max(acc, 0) when ReLU is set.
	KindConv2D = "conv2d"
	// KindMaxPool: the largest input of each window; positions in the
	// padding are skipped (ONNX MaxPool pads with −∞). Every window holds at
	// least one input position (pads smaller than the kernel).
	KindMaxPool = "maxpool"
	// KindAvgPool: in the float model the mean of each KH×KW window, the
	// padding counted as zeros (ONNX AveragePool with
	// count_include_pad = 1, or no padding). In the quantized model the
	// window's sum: Quantize folds the 1/(KH·KW) into the weights of the
	// next convolution or dense layer (exact in real arithmetic, since every
	// layer in between (pooling, ReLU) commutes with a positive factor).
	KindAvgPool = "avgpool"
	// KindGlobalAvgPool: the mean (float) or the sum (quantized, 1/(H·W)
	// folded as for KindAvgPool) of each channel: a window of the whole
	// input, stride 1, no padding; the output is [C][1][1].
	KindGlobalAvgPool = "globalavgpool"
)

// Dims is the shape [C][H][W] of a spatial layer's input or output.
type Dims struct {
	C int `json:"c"`
	H int `json:"h"`
	W int `json:"w"`
}

// Size returns C·H·W.
func (d Dims) Size() int { return d.C * d.H * d.W }

func (d Dims) String() string { return fmt.Sprintf("[%d][%d][%d]", d.C, d.H, d.W) }

// Window is the kernel, stride and padding of a convolution or pooling
// layer, in input positions.
type Window struct {
	KH        int `json:"kh"`
	KW        int `json:"kw"`
	SH        int `json:"sh"`
	SW        int `json:"sw"`
	PadTop    int `json:"padTop"`
	PadLeft   int `json:"padLeft"`
	PadBottom int `json:"padBottom"`
	PadRight  int `json:"padRight"`
}

// MaxSpatialDim bounds every spatial dimension, kernel, stride and pad.
const MaxSpatialDim = 1 << 16

// PadsBelowKernel reports whether every pad is smaller than the kernel
// along its axis, as pooling requires (a larger pad gives windows of
// padding only).
func (w Window) PadsBelowKernel() bool {
	return w.PadTop < w.KH && w.PadBottom < w.KH && w.PadLeft < w.KW && w.PadRight < w.KW
}

// OutDims returns the output height and width of the window over an input
// of height h and width w: ⌊(h + PadTop + PadBottom − KH)/SH⌋ + 1, and the
// same for the width (ONNX's floor rule, ceil_mode = 0). It fails when a
// value is out of range, the kernel does not fit the padded input, or (for
// pooling) a pad is not smaller than the kernel, which would give windows
// of padding only.
func (w Window) OutDims(h, wd int, pool bool) (int, int, error) {
	for _, v := range []int{w.KH, w.KW, w.SH, w.SW} {
		if v < 1 || v > MaxSpatialDim {
			return 0, 0, fmt.Errorf("kernel %dx%d and stride %dx%d must lie in [1, %d]", w.KH, w.KW, w.SH, w.SW, MaxSpatialDim)
		}
	}
	for _, v := range []int{w.PadTop, w.PadLeft, w.PadBottom, w.PadRight} {
		if v < 0 || v > MaxSpatialDim {
			return 0, 0, fmt.Errorf("pads %d,%d,%d,%d (top, left, bottom, right) must lie in [0, %d]", w.PadTop, w.PadLeft, w.PadBottom, w.PadRight, MaxSpatialDim)
		}
	}
	if pool && !w.PadsBelowKernel() {
		return 0, 0, fmt.Errorf("pads %d,%d,%d,%d (top, left, bottom, right) must be smaller than the kernel %dx%d", w.PadTop, w.PadLeft, w.PadBottom, w.PadRight, w.KH, w.KW)
	}
	ph, pw := h+w.PadTop+w.PadBottom, wd+w.PadLeft+w.PadRight
	if ph < w.KH || pw < w.KW {
		return 0, 0, fmt.Errorf("kernel %dx%d does not fit the input %dx%d padded to %dx%d", w.KH, w.KW, h, wd, ph, pw)
	}
	return (ph-w.KH)/w.SH + 1, (pw-w.KW)/w.SW + 1, nil
}

// Linear reports whether layers of kind k have weights (a convolution).
func Linear(kind string) bool { return kind == KindConv2D }

// FloatSpatial is one spatial layer of a float model.
type FloatSpatial struct {
	Kind string
	// Name is the ONNX node name the layer came from.
	Name string
	// In is the layer's input shape; the output follows from Kind, Window
	// and OutC (SpatialOut).
	In Dims
	Window
	// OutC is a convolution's number of output channels.
	OutC int
	// W has shape [OutC][In.C·KH·KW], each row the kernel [C][KH][KW]
	// row-major (ONNX's [M][C][kH][kW] weight, one row per output
	// channel); B has shape [OutC]. Both nil for pooling.
	W [][]float64
	B []float64
	// ReLU reports whether max(·, 0) is applied to a convolution's output.
	ReLU bool
}

// MaxSpatialValues bounds the values of a spatial layer's input and of its
// output (C·H·W): 2^24, four times the largest map of VGG-16 on 224×224
// images. Past it no circuit here could prove the layer, and native
// evaluation would allocate without bound.
const MaxSpatialValues = 1 << 24

// MaxSpatialWork bounds a spatial layer's window work per sample: its
// outputs times the inputs each reads (C·KH·KW for a convolution, KH·KW for
// pooling), 2^32, about twice a VGG-16 convolution on 224×224 images. A
// window of a few hundred bytes of ONNX could otherwise ask for 2^50 steps.
const MaxSpatialWork = 1 << 32

// MaxModelSpatialWork bounds the window work of all spatial layers of a
// model together, per sample: 2^32 steps, about twice ResNet-18's
// multiply-adds on a 224×224 image. Each layer's own bound (MaxSpatialWork)
// would otherwise let a model of many small, weightless pooling layers
// (about 45 bytes of ONNX each) ask for an unbounded time per sample.
const MaxModelSpatialWork = 1 << 32

// MaxModelSpatialValues bounds the values of all spatial layers' outputs
// together: 2^24, as one layer's (native evaluation and the bounds check
// hold one value, or an interval, per output).
const MaxModelSpatialValues = 1 << 24

// SpatialCost returns a spatial layer's output values and its window work
// per sample (outputs times the inputs each reads), for a layer whose
// SpatialOut succeeds.
func SpatialCost(kind string, in Dims, w Window, out Dims) (values, work float64) {
	fan := float64(w.KH) * float64(w.KW)
	if kind == KindConv2D {
		fan *= float64(in.C)
	}
	return float64(out.Size()), float64(out.Size()) * fan
}

// SpatialTotals sums SpatialCost over a model's spatial layers and fails
// when the sums pass MaxModelSpatialValues or MaxModelSpatialWork.
type SpatialTotals struct{ Values, Work float64 }

// Add adds one layer's cost and checks the sums.
func (t *SpatialTotals) Add(kind string, in Dims, w Window, out Dims) error {
	v, k := SpatialCost(kind, in, w, out)
	t.Values += v
	t.Work += k
	if t.Values > MaxModelSpatialValues {
		return fmt.Errorf("the spatial layers up to this one output %.0f values in all; a model may have at most %d (2^24)", t.Values, int64(MaxModelSpatialValues))
	}
	if t.Work > MaxModelSpatialWork {
		return fmt.Errorf("the spatial layers up to this one take %.3g window steps per sample in all; a model may take at most %d (2^32)", t.Work, int64(MaxModelSpatialWork))
	}
	return nil
}

// SpatialOut returns the output shape of a spatial layer of kind kind with
// input in, window w and outC output channels (convolution only). It fails
// when a dimension is outside [1, MaxSpatialDim], the window does not fit
// (Window.OutDims), or the input, the output or the window work passes
// MaxSpatialValues or MaxSpatialWork.
func SpatialOut(kind string, in Dims, w Window, outC int) (Dims, error) {
	out, err := spatialOut(kind, in, w, outC)
	if err != nil {
		return Dims{}, err
	}
	if out.Size() > MaxSpatialValues {
		return Dims{}, fmt.Errorf("output %v holds %d values; a spatial layer may have at most %d (2^24)", out, out.Size(), MaxSpatialValues)
	}
	_, work := SpatialCost(kind, in, w, out)
	if fan := work / float64(out.Size()); work > MaxSpatialWork {
		return Dims{}, fmt.Errorf("output %v, each reading %.0f inputs: %.3g window steps per sample, past the %d (2^32) a spatial layer may take", out, fan, work, int64(MaxSpatialWork))
	}
	return out, nil
}

func spatialOut(kind string, in Dims, w Window, outC int) (Dims, error) {
	if in.C < 1 || in.H < 1 || in.W < 1 || in.C > MaxSpatialDim || in.H > MaxSpatialDim || in.W > MaxSpatialDim {
		return Dims{}, fmt.Errorf("input %v must have dimensions in [1, %d]", in, MaxSpatialDim)
	}
	if in.Size() > MaxSpatialValues {
		return Dims{}, fmt.Errorf("input %v holds %d values; a spatial layer may take at most %d (2^24)", in, in.Size(), MaxSpatialValues)
	}
	switch kind {
	case KindConv2D:
		if outC < 1 || outC > MaxSpatialDim {
			return Dims{}, fmt.Errorf("%d output channels; must lie in [1, %d]", outC, MaxSpatialDim)
		}
		h, wd, err := w.OutDims(in.H, in.W, false)
		return Dims{C: outC, H: h, W: wd}, err
	case KindMaxPool, KindAvgPool:
		h, wd, err := w.OutDims(in.H, in.W, true)
		return Dims{C: in.C, H: h, W: wd}, err
	case KindGlobalAvgPool:
		if w != (Window{KH: in.H, KW: in.W, SH: 1, SW: 1}) {
			return Dims{}, fmt.Errorf("a global average pool's window must be the whole input %dx%d, stride 1, no padding", in.H, in.W)
		}
		return Dims{C: in.C, H: 1, W: 1}, nil
	}
	return Dims{}, fmt.Errorf("unknown spatial layer kind %q", kind)
}

// Out returns the layer's output shape (zero Dims when the layer is
// malformed; Validate says why).
func (l *FloatSpatial) Out() Dims {
	d, _ := SpatialOut(l.Kind, l.In, l.Window, l.OutC)
	return d
}

// forwardSpatial runs the float spatial layers on x (shape In of the first
// layer, row-major) and returns the flattened output.
func forwardSpatial(layers []FloatSpatial, x []float64) ([]float64, error) {
	a := x
	for k := range layers {
		l := &layers[k]
		out, err := SpatialOut(l.Kind, l.In, l.Window, l.OutC)
		if err != nil {
			return nil, fmt.Errorf("model: spatial layer %d (%q): %w", k, l.Name, err)
		}
		if len(a) != l.In.Size() {
			return nil, fmt.Errorf("model: spatial layer %d (%q) takes %v = %d values, its input has %d", k, l.Name, l.In, l.In.Size(), len(a))
		}
		y := make([]float64, out.Size())
		switch l.Kind {
		case KindConv2D:
			if len(l.W) != l.OutC || len(l.B) != l.OutC {
				return nil, fmt.Errorf("model: spatial layer %d (%q): %d weight rows and %d biases for %d output channels", k, l.Name, len(l.W), len(l.B), l.OutC)
			}
			n := l.In.C * l.KH * l.KW
			for o := 0; o < out.C; o++ {
				if len(l.W[o]) != n {
					return nil, fmt.Errorf("model: spatial layer %d (%q): kernel %d has %d weights, want %d", k, l.Name, o, len(l.W[o]), n)
				}
			}
			y = conv(a, l.In, l.Window, l.W, l.B, out)
			if l.ReLU {
				for i, v := range y {
					y[i] = max(v, 0)
				}
			}
		case KindMaxPool:
			for c := 0; c < out.C; c++ {
				for oy := 0; oy < out.H; oy++ {
					for ox := 0; ox < out.W; ox++ {
						first, m := true, 0.0
						eachTapC(l.In, l.Window, c, oy, ox, func(_, idx int) {
							if first || a[idx] > m {
								m, first = a[idx], false
							}
						})
						y[(c*out.H+oy)*out.W+ox] = m
					}
				}
			}
		case KindAvgPool, KindGlobalAvgPool:
			div := float64(l.KH * l.KW)
			for c := 0; c < out.C; c++ {
				for oy := 0; oy < out.H; oy++ {
					for ox := 0; ox < out.W; ox++ {
						s := 0.0
						eachTapC(l.In, l.Window, c, oy, ox, func(_, idx int) { s += a[idx] })
						y[(c*out.H+oy)*out.W+ox] = s / div
					}
				}
			}
		}
		a = y
	}
	return a, nil
}

// eachTap calls f for every input channel c and kernel position t = i·KW+j
// of output position (oy, ox) that falls inside the input (not in the
// padding), with idx the input's row-major index.
func eachTap(in Dims, w Window, oy, ox int, f func(c, t, idx int)) {
	for c := 0; c < in.C; c++ {
		eachTapC(in, w, c, oy, ox, func(t, idx int) { f(c, t, idx) })
	}
}

// eachTapC is eachTap for one channel c.
func eachTapC(in Dims, w Window, c, oy, ox int, f func(t, idx int)) {
	y0, x0 := oy*w.SH-w.PadTop, ox*w.SW-w.PadLeft
	for i := 0; i < w.KH; i++ {
		y := y0 + i
		if y < 0 || y >= in.H {
			continue
		}
		for j := 0; j < w.KW; j++ {
			x := x0 + j
			if x < 0 || x >= in.W {
				continue
			}
			f(i*w.KW+j, (c*in.H+y)*in.W+x)
		}
	}
}

// validateSpatialChain checks that the spatial layers chain from input (the
// model's input viewed as [C][H][W]) and returns the flattened width of the
// last one's output.
func validateSpatialChain(input *Dims, kinds []string, ins []Dims, wins []Window, outCs []int, names []string, inputSize int) (int, error) {
	if len(kinds) == 0 {
		if input != nil {
			return 0, errors.New("an input layout [C][H][W] without spatial layers")
		}
		return inputSize, nil
	}
	if input == nil {
		return 0, errors.New("spatial layers without an input layout [C][H][W]")
	}
	if input.Size() != inputSize {
		return 0, fmt.Errorf("input layout %v holds %d values, but the input size is %d", *input, input.Size(), inputSize)
	}
	cur := *input
	var totals SpatialTotals
	for k := range kinds {
		if ins[k] != cur {
			return 0, fmt.Errorf("spatial layer %d (%s) takes input %v, but its input is %v", k, names[k], ins[k], cur)
		}
		out, err := SpatialOut(kinds[k], ins[k], wins[k], outCs[k])
		if err != nil {
			return 0, fmt.Errorf("spatial layer %d (%s, %s): %w", k, names[k], kinds[k], err)
		}
		if int64(out.C)*int64(out.H)*int64(out.W) > MaxShapeField {
			return 0, fmt.Errorf("spatial layer %d (%s) has %v outputs; at most 2^40-1", k, names[k], out)
		}
		if err := totals.Add(kinds[k], ins[k], wins[k], out); err != nil {
			return 0, fmt.Errorf("spatial layer %d (%s): %w", k, names[k], err)
		}
		cur = out
	}
	return cur.Size(), nil
}

// SpatialShape is the public description of one quantized spatial layer:
// its kind, input and output shapes, window, activation and, for a
// convolution, the two's complement widths of its weights and biases.
type SpatialShape struct {
	Kind string `json:"kind"`
	In   Dims   `json:"in"`
	Out  Dims   `json:"out"`
	Window
	ReLU       bool `json:"relu,omitempty"`
	WeightBits int  `json:"weightBits,omitempty"`
	BiasBits   int  `json:"biasBits,omitempty"`
}

// FanIn returns the number of inputs each output of the layer reads: C·KH·KW
// for a convolution, KH·KW for pooling.
func (s *SpatialShape) FanIn() int {
	if Linear(s.Kind) {
		return s.In.C * s.KH * s.KW
	}
	return s.KH * s.KW
}

// validateSpatial checks the spatial layers of a shape and returns the
// dense part's input width.
func (s *Shape) validateSpatial() (int, error) {
	n := len(s.Spatial)
	kinds, ins, wins, outCs, names := make([]string, n), make([]Dims, n), make([]Window, n), make([]int, n), make([]string, n)
	for k := range s.Spatial {
		l := &s.Spatial[k]
		kinds[k], ins[k], wins[k], names[k] = l.Kind, l.In, l.Window, fmt.Sprint(k)
		if Linear(l.Kind) {
			outCs[k] = l.Out.C
			if l.WeightBits < 2 || l.WeightBits > MaxWeightBits || l.BiasBits < 2 || l.BiasBits > MaxWeightBits {
				return 0, fmt.Errorf("shape: spatial layer %d has weight bits %d and bias bits %d; both must lie in [2, %d]", k, l.WeightBits, l.BiasBits, MaxWeightBits)
			}
		} else if l.ReLU || l.WeightBits != 0 || l.BiasBits != 0 {
			return 0, fmt.Errorf("shape: spatial layer %d (%s) has no weights or ReLU; relu, weightBits and biasBits must be absent", k, l.Kind)
		}
		out, err := SpatialOut(l.Kind, l.In, l.Window, outCs[k])
		if err != nil {
			return 0, fmt.Errorf("shape: spatial layer %d (%s): %w", k, l.Kind, err)
		}
		if out != l.Out {
			return 0, fmt.Errorf("shape: spatial layer %d (%s) states output %v, but its input %v and window give %v", k, l.Kind, l.Out, l.In, out)
		}
	}
	w, err := validateSpatialChain(s.Input, kinds, ins, wins, outCs, names, s.InputSize)
	if err != nil {
		return 0, fmt.Errorf("shape: %w", err)
	}
	return w, nil
}

// conv computes a convolution's accumulators (before any ReLU) for input a
// of shape in, kernels w ([outC][in.C·KH·KW]) and biases b, into an output of
// shape out, positions in the padding counting as zero. It visits the terms
// in another order than eachTap, which integer arithmetic does not see and
// float arithmetic sees only in rounding.
func conv[T int64 | float64](a []T, in Dims, win Window, w [][]T, b []T, out Dims) []T {
	y := make([]T, out.Size())
	plane := out.H * out.W
	for o := 0; o < out.C; o++ {
		yo := y[o*plane : (o+1)*plane]
		for i := range yo {
			yo[i] = b[o]
		}
		for c := 0; c < in.C; c++ {
			for ky := 0; ky < win.KH; ky++ {
				for kx := 0; kx < win.KW; kx++ {
					wv := w[o][(c*win.KH+ky)*win.KW+kx]
					if wv == 0 {
						continue
					}
					for oy := 0; oy < out.H; oy++ {
						iy := oy*win.SH + ky - win.PadTop
						if iy < 0 || iy >= in.H {
							continue
						}
						rowIn := a[(c*in.H+iy)*in.W : (c*in.H+iy+1)*in.W]
						rowOut := yo[oy*out.W : (oy+1)*out.W]
						for ox := range rowOut {
							ix := ox*win.SW + kx - win.PadLeft
							if ix >= 0 && ix < in.W {
								rowOut[ox] += wv * rowIn[ix]
							}
						}
					}
				}
			}
		}
	}
	return y
}
