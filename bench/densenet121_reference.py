#!/usr/bin/python3
"""PyTorch reference for `radfed bench train --model densenet-121`: DenseNet-121 for grayscale images, trained
on random data, in plain PyTorch (no torchvision: Debian's python3-torch does not ship it).

The layout is torchvision's densenet121 (growth rate 32, blocks of 6/12/24/16 layers, bn_size 4, compression
0.5, no dropout) with one input channel and `--classes` outputs, the same as
main/site/train/models/densenet121.ts: conv7x7/2 (64, pad 3) bn relu -> maxpool3x3/2 (pad 1) -> dense blocks
(each layer: bn relu conv1x1 (128) bn relu conv3x3 (32, pad 1), concatenated to its input) with transitions
(bn relu conv1x1 to half the channels, avgpool2x2/2) between them -> bn relu -> global average pool -> linear.
Kaiming-normal convolutions, linear bias 0 (torchvision's init). Softmax cross-entropy, Adam(lr=1e-3), float32.

Usage: densenet121_reference.py [--device cpu|cuda] [--size 224] [--batch 32] [--batches 4] [--epochs 3]
                                [--threads N] [--classes 2] [--describe]
--describe prints the model's trainable tensors (name, shape) and their count as one JSON line and trains
nothing: main/site/train/models/torch-reference-layout.spec.ts checks RadFed's DenseNet-121 against it.
Prints one JSON line per epoch and a final line {"impl":"torch",...,"images_per_s":<median of epochs after
the first>}, as bench/resnet18_reference.py does. On Debian: apt-get install python3-torch.
"""
import argparse, json, statistics, time
import torch
from torch import nn

GROWTH, BN_SIZE, BLOCKS, STEM = 32, 4, (6, 12, 24, 16), 64


class DenseLayer(nn.Module):
    def __init__(self, cin):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(cin); self.conv1 = nn.Conv2d(cin, BN_SIZE * GROWTH, 1, bias=False)
        self.norm2 = nn.BatchNorm2d(BN_SIZE * GROWTH)
        self.conv2 = nn.Conv2d(BN_SIZE * GROWTH, GROWTH, 3, 1, 1, bias=False)

    def forward(self, x):
        h = self.conv1(torch.relu(self.norm1(x)))
        return torch.cat([x, self.conv2(torch.relu(self.norm2(h)))], 1)


class Transition(nn.Sequential):
    def __init__(self, cin, cout):
        super().__init__(nn.BatchNorm2d(cin), nn.ReLU(), nn.Conv2d(cin, cout, 1, bias=False), nn.AvgPool2d(2, 2))


def densenet121(channels, classes):
    parts, c = [nn.Conv2d(channels, STEM, 7, 2, 3, bias=False), nn.BatchNorm2d(STEM), nn.ReLU(),
                nn.MaxPool2d(3, 2, 1)], STEM
    for i, n in enumerate(BLOCKS):
        for _ in range(n):
            parts.append(DenseLayer(c)); c += GROWTH
        if i < len(BLOCKS) - 1:
            parts.append(Transition(c, c // 2)); c //= 2
    m = nn.Sequential(*parts, nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
                      nn.Linear(c, classes))
    for mod in m.modules():
        if isinstance(mod, nn.Conv2d): nn.init.kaiming_normal_(mod.weight)
        elif isinstance(mod, nn.Linear): nn.init.constant_(mod.bias, 0)
    return m


ap = argparse.ArgumentParser()
ap.add_argument('--device', default='cpu'); ap.add_argument('--size', type=int, default=224)
ap.add_argument('--batch', type=int, default=32); ap.add_argument('--batches', type=int, default=4)
ap.add_argument('--epochs', type=int, default=3); ap.add_argument('--threads', type=int, default=0)
ap.add_argument('--classes', type=int, default=2)
ap.add_argument('--describe', action='store_true')
a = ap.parse_args()
if a.threads: torch.set_num_threads(a.threads)
torch.manual_seed(0)
dev = a.device
m = densenet121(1, a.classes).to(dev)
if a.describe:
    print(json.dumps(dict(parameters=sum(p.numel() for p in m.parameters()),
                          tensors=[dict(name=k, shape=list(p.shape)) for k, p in m.named_parameters()])))
    raise SystemExit(0)
opt = torch.optim.Adam(m.parameters(), lr=1e-3)
n = a.batch * a.batches
x = torch.randn(n, 1, a.size, a.size, device=dev); y = torch.randint(0, a.classes, (n,), device=dev)
rates = []
for e in range(a.epochs):
    if dev == 'cuda': torch.cuda.synchronize()
    t0 = time.perf_counter()
    for i in range(0, n, a.batch):
        opt.zero_grad(); loss = nn.functional.cross_entropy(m(x[i:i + a.batch]), y[i:i + a.batch]); loss.backward(); opt.step()
    if dev == 'cuda': torch.cuda.synchronize()
    s = time.perf_counter() - t0; rates.append(n / s)
    print(json.dumps(dict(epoch=e, seconds=round(s, 4), images_per_s=round(n / s, 1), loss=round(loss.item(), 4))))
steady = rates[1:] or rates
print(json.dumps(dict(impl='torch', device=dev, threads=torch.get_num_threads(), size=a.size, batch=a.batch,
                      model='densenet-121', parameters=sum(p.numel() for p in m.parameters()),
                      images_per_s=round(statistics.median(steady), 1))))
