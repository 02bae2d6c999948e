"""NCSNv2 score-network body for 1x28x28 images (Song & Ermon 2020, "Improved Techniques for
Training Score-Based Generative Models"), written after the `NCSNv2` class of
ermongroup/ncsnv2 (models/ncsnv2.py, layers.py, normalization.py) with its MNIST (image_size 28)
branch, unconditional InstanceNorm++ and ELU.

The module is the sigma-free *body*: forward(x) takes images in [0, 1], maps them to 2x - 1
internally and returns body(x).  The score at noise level sigma is body(x) / sigma; that division
is kept outside the module, as in the authors' code (they divide inside forward by sigmas[y],
which is the same thing).

Layout for ngf = F (spatial size in brackets):
  begin_conv 3x3 1->F                                        [28]
  res1: ResBlock(F,F), ResBlock(F,F)                         [28]  -> layer1
  res2: ResBlock(F,2F, down: ConvMeanPool), ResBlock(2F,2F)  [14]  -> layer2
  res3: ResBlock(2F,2F, 'down' dil 2), ResBlock(2F,2F, dil 2) [14] -> layer3
  res4: ResBlock(2F,2F, 'down' dil 4), ResBlock(2F,2F, dil 4) [14] -> layer4
  (in the original, a 'down' block with dilation > 1 does not downsample: it uses dilated
   3x3 convs and a dilated 3x3 conv shortcut; so there is one downsampling stage 28 -> 14)
  refine1 RefineBlock([2F], 2F, start)        on layer4          [14]
  refine2 RefineBlock([2F,2F], 2F)            on layer3, ref1    [14]
  refine3 RefineBlock([2F,2F], F)             on layer2, ref2    [14]
  refine4 RefineBlock([F,F], F, end)          on layer1, ref3    [28]
  InstanceNorm++ -> ELU -> end_conv 3x3 F->1                     [28]

Deviations from the original code, all value-preserving up to float rounding:
  * ConvMeanPool averages the 2x2 blocks with F.avg_pool2d(2) instead of the sum of four strided
    slices / 4 (same values on even sizes; one AveragePool op in ONNX).
  * MSF resizes with F.interpolate(scale_factor=s, mode='bilinear', align_corners=True) with an
    integer factor s = out/in, and skips the resize when the sizes already match (an
    align_corners bilinear resize to the same size is the identity).  With size=... the legacy
    ONNX exporter fails on a dynamic batch; scale_factor=2 gives the same values for 14 -> 28.
  * MSF starts the sum from the first resized term instead of a zeros tensor.
Parameter names follow the original where practical.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def conv3x3(cin, cout, bias=True, dilation=1):
    return nn.Conv2d(cin, cout, 3, stride=1, padding=dilation, dilation=dilation, bias=bias)


def conv1x1(cin, cout, bias=True):
    return nn.Conv2d(cin, cout, 1, stride=1, padding=0, bias=bias)


class InstanceNorm2dPlus(nn.Module):
    """InstanceNorm++: instance norm plus a learned correction from the per-channel means.

    mu_c = mean over (H, W); m, v = mean and unbiased variance of mu over channels;
    out = gamma * (IN(x) + alpha * (mu - m) / sqrt(v + 1e-5)) + beta.
    """

    def __init__(self, num_features, bias=True):
        super().__init__()
        self.num_features = num_features
        self.bias = bias
        self.instance_norm = nn.InstanceNorm2d(num_features, affine=False, track_running_stats=False)
        self.alpha = nn.Parameter(torch.empty(num_features).normal_(1.0, 0.02))
        self.gamma = nn.Parameter(torch.empty(num_features).normal_(1.0, 0.02))
        if bias:
            self.beta = nn.Parameter(torch.zeros(num_features))

    def forward(self, x):
        means = torch.mean(x, dim=(2, 3))
        m = torch.mean(means, dim=-1, keepdim=True)
        v = torch.var(means, dim=-1, keepdim=True)  # unbiased, as the original
        means = (means - m) / torch.sqrt(v + 1e-5)
        h = self.instance_norm(x)
        h = h + means[..., None, None] * self.alpha[..., None, None]
        out = self.gamma.view(1, -1, 1, 1) * h
        if self.bias:
            out = out + self.beta.view(1, -1, 1, 1)
        return out


class ConvMeanPool(nn.Module):
    """Conv (stride 1, 'same' padding) then 2x2 mean pooling."""

    def __init__(self, cin, cout, kernel_size=3, bias=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel_size, stride=1, padding=kernel_size // 2, bias=bias)

    def forward(self, x):
        return F.avg_pool2d(self.conv(x), 2)


class ResidualBlock(nn.Module):
    """Pre-activation residual block: norm -> ELU -> conv1 -> norm -> ELU -> conv2, + shortcut."""

    def __init__(self, cin, cout, resample=None, act=None, dilation=1):
        super().__init__()
        self.non_linearity = act if act is not None else nn.ELU()
        self.input_dim, self.output_dim, self.resample = cin, cout, resample
        if resample == 'down':
            if dilation > 1:
                self.conv1 = conv3x3(cin, cin, dilation=dilation)
                self.normalize2 = InstanceNorm2dPlus(cin)
                self.conv2 = conv3x3(cin, cout, dilation=dilation)
                shortcut = lambda a, b: conv3x3(a, b, dilation=dilation)
            else:
                self.conv1 = conv3x3(cin, cin)
                self.normalize2 = InstanceNorm2dPlus(cin)
                self.conv2 = ConvMeanPool(cin, cout, 3)
                shortcut = lambda a, b: ConvMeanPool(a, b, 1)
        elif resample is None:
            if dilation > 1:
                shortcut = lambda a, b: conv3x3(a, b, dilation=dilation)
                self.conv1 = conv3x3(cin, cout, dilation=dilation)
                self.normalize2 = InstanceNorm2dPlus(cout)
                self.conv2 = conv3x3(cout, cout, dilation=dilation)
            else:
                shortcut = conv1x1
                self.conv1 = conv3x3(cin, cout)
                self.normalize2 = InstanceNorm2dPlus(cout)
                self.conv2 = conv3x3(cout, cout)
        else:
            raise ValueError(f"invalid resample {resample!r}")
        self.has_shortcut = cout != cin or resample is not None
        if self.has_shortcut:
            self.shortcut = shortcut(cin, cout)
        self.normalize1 = InstanceNorm2dPlus(cin)

    def forward(self, x):
        h = self.conv1(self.non_linearity(self.normalize1(x)))
        h = self.conv2(self.non_linearity(self.normalize2(h)))
        return (self.shortcut(x) if self.has_shortcut else x) + h


class RCUBlock(nn.Module):
    """Residual conv unit: n_blocks x (n_stages x (ELU -> 3x3 conv, no bias)) + identity."""

    def __init__(self, features, n_blocks, n_stages, act):
        super().__init__()
        for i in range(n_blocks):
            for j in range(n_stages):
                setattr(self, f'{i + 1}_{j + 1}_conv', conv3x3(features, features, bias=False))
        self.n_blocks, self.n_stages, self.act = n_blocks, n_stages, act

    def forward(self, x):
        for i in range(self.n_blocks):
            residual = x
            for j in range(self.n_stages):
                x = getattr(self, f'{i + 1}_{j + 1}_conv')(self.act(x))
            x = x + residual
        return x


class CRPBlock(nn.Module):
    """Chained residual pooling: ELU, then n_stages x (5x5 stride-1 max pool -> 3x3 conv), summed."""

    def __init__(self, features, n_stages, act):
        super().__init__()
        self.convs = nn.ModuleList([conv3x3(features, features, bias=False) for _ in range(n_stages)])
        self.maxpool = nn.MaxPool2d(kernel_size=5, stride=1, padding=2)
        self.act = act

    def forward(self, x):
        x = self.act(x)
        path = x
        for conv in self.convs:
            path = conv(self.maxpool(path))
            x = path + x
        return x


def _resize(h, shape):
    # plain Python ints, also while tracing for ONNX export (shapes are tensors there)
    hin, win = int(h.shape[-2]), int(h.shape[-1])
    hout, wout = int(shape[0]), int(shape[1])
    if (hin, win) == (hout, wout):
        return h
    if hout % hin or wout % win or hout // hin != wout // win:
        raise ValueError(f"non-integer or anisotropic resize {hin}x{win} -> {hout}x{wout}")
    return F.interpolate(h, scale_factor=float(hout // hin), mode='bilinear', align_corners=True)


class MSFBlock(nn.Module):
    """Multi-resolution fusion: 3x3 conv each input to `features`, bilinear-resize, sum."""

    def __init__(self, in_planes, features):
        super().__init__()
        self.convs = nn.ModuleList([conv3x3(c, features, bias=True) for c in in_planes])
        self.features = features

    def forward(self, xs, shape):
        out = None
        for conv, x in zip(self.convs, xs):
            h = _resize(conv(x), shape)
            out = h if out is None else out + h
        return out


class RefineBlock(nn.Module):
    def __init__(self, in_planes, features, act, start=False, end=False):
        super().__init__()
        self.n_blocks = len(in_planes)
        self.adapt_convs = nn.ModuleList([RCUBlock(c, 2, 2, act) for c in in_planes])
        self.output_convs = RCUBlock(features, 3 if end else 1, 2, act)
        if not start:
            self.msf = MSFBlock(in_planes, features)
        self.crp = CRPBlock(features, 2, act)

    def forward(self, xs, output_shape):
        hs = [adapt(x) for adapt, x in zip(self.adapt_convs, xs)]
        h = self.msf(hs, output_shape) if self.n_blocks > 1 else hs[0]
        return self.output_convs(self.crp(h))


class NCSNv2(nn.Module):
    """sigma-free NCSNv2 body for 1x28x28 inputs in [0, 1]; score = forward(x) / sigma."""

    def __init__(self, ngf=32, channels=1):
        super().__init__()
        self.ngf = ngf
        self.channels = channels
        act = self.act = nn.ELU()
        self.begin_conv = nn.Conv2d(channels, ngf, 3, stride=1, padding=1)
        self.normalizer = InstanceNorm2dPlus(ngf)
        self.end_conv = nn.Conv2d(ngf, channels, 3, stride=1, padding=1)
        f, f2 = ngf, 2 * ngf
        self.res1 = nn.ModuleList([ResidualBlock(f, f, None, act), ResidualBlock(f, f, None, act)])
        self.res2 = nn.ModuleList([ResidualBlock(f, f2, 'down', act), ResidualBlock(f2, f2, None, act)])
        self.res3 = nn.ModuleList([ResidualBlock(f2, f2, 'down', act, dilation=2),
                                   ResidualBlock(f2, f2, None, act, dilation=2)])
        # the original passes adjust_padding=True here for 28x28; it has no effect on the
        # dilated path, which is the one taken
        self.res4 = nn.ModuleList([ResidualBlock(f2, f2, 'down', act, dilation=4),
                                   ResidualBlock(f2, f2, None, act, dilation=4)])
        self.refine1 = RefineBlock([f2], f2, act, start=True)
        self.refine2 = RefineBlock([f2, f2], f2, act)
        self.refine3 = RefineBlock([f2, f2], f, act)
        self.refine4 = RefineBlock([f, f], f, act, end=True)

    @staticmethod
    def _run(blocks, x):
        for b in blocks:
            x = b(x)
        return x

    def forward(self, x):
        h = 2.0 * x - 1.0
        h = self.begin_conv(h)
        layer1 = self._run(self.res1, h)
        layer2 = self._run(self.res2, layer1)
        layer3 = self._run(self.res3, layer2)
        layer4 = self._run(self.res4, layer3)
        ref1 = self.refine1([layer4], layer4.shape[2:])
        ref2 = self.refine2([layer3, ref1], layer3.shape[2:])
        ref3 = self.refine3([layer2, ref2], layer2.shape[2:])
        out = self.refine4([layer1, ref3], layer1.shape[2:])
        out = self.end_conv(self.act(self.normalizer(out)))
        return out


def geometric_sigmas(begin=50.0, end=0.01, n=232):
    """NCSNv2 get_sigmas: exp(linspace(ln begin, ln end, n)) in float64, returned as float32."""
    import numpy as np
    return torch.tensor(np.exp(np.linspace(np.log(begin), np.log(end), n))).float()


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def count_macs(model, hw=28):
    """Multiply-accumulates per image of all convolutions (the other ops are O(activations))."""
    macs = [0]

    def hook(mod, inp, out):
        k = mod.kernel_size[0] * mod.kernel_size[1] * (mod.in_channels // mod.groups)
        macs[0] += out.shape[1] * out.shape[2] * out.shape[3] * k

    hs = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model(torch.zeros(1, model.channels, hw, hw))
    for h in hs:
        h.remove()
    return macs[0]


if __name__ == '__main__':
    for ngf in (16, 32, 64, 128):
        m = NCSNv2(ngf)
        print(f"ngf {ngf:4d}: {count_params(m):,} params, {count_macs(m) / 1e9:.3f} GMAC per image (convs)")
