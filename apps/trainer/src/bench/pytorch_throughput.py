"""The PyTorch peer of `hiwl bench train` (throughput.ts runs it with --compare-pytorch).

The same shapes and step as the project's benchmark, in Debian's PyTorch (python3-torch,
python3-torchvision): torchvision's EfficientNet-B0, SGD with momentum 0.9 and weight decay,
cross-entropy against one-hot targets, random inputs in [-1, 1); training images/s over the
median step after one warm-up step, and inference images/s in eval mode, printed as one
JSON object.
"""

import argparse
import json
import statistics
import time

import torch
import torchvision

parser = argparse.ArgumentParser()
parser.add_argument("--input-size", type=int, required=True)
parser.add_argument("--batch", type=int, required=True)
parser.add_argument("--threads", type=int, required=True)
parser.add_argument("--steps", type=int, required=True)
parser.add_argument("--classes", type=int, required=True)
parser.add_argument("--infer-batch", type=int, required=True)
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--weight-decay", type=float, required=True)
args = parser.parse_args()

torch.set_num_threads(args.threads)
torch.manual_seed(1)


def images(n):
    return torch.rand(n, 3, args.input_size, args.input_size) * 2 - 1


def median_ms(run, repeats):
    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        run()
        if i > 0:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


batch = args.batch
model = torchvision.models.efficientnet_b0(num_classes=args.classes)
optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=args.weight_decay)
loss_fn = torch.nn.CrossEntropyLoss()
x = images(batch)
y = torch.arange(batch) % args.classes


def train_step():
    optimizer.zero_grad()
    loss = loss_fn(model(x), y)
    loss.backward()
    optimizer.step()
    # The project's step reads its loss back every step; so does this one.
    loss.item()


model.train()
train_ms = median_ms(train_step, args.steps)

model.eval()
infer_x = images(args.infer_batch)


def infer():
    with torch.no_grad():
        torch.softmax(model(infer_x), dim=1)


infer_ms = median_ms(infer, max(2, -(-args.steps // 2)))
print(
    json.dumps(
        {
            "batch": batch,
            "threads": args.threads,
            "torch": torch.__version__,
            "trainImagesPerSec": round(batch * 1000 / train_ms, 1),
            "inferImagesPerSec": round(args.infer_batch * 1000 / infer_ms, 1),
        }
    ),
    flush=True,
)
