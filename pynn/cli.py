"""The command line: ``python -m pynn train | evaluate | predict | export``.

Errors in what the user typed or supplied end in one clear line on stderr and
exit status 2, not a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from pynn.data import mnist
from pynn.files import modelfile
from pynn.nets.architectures import ARCHITECTURES, network_for
from pynn.nets.costs import COSTS
from pynn.nets.network import INITS, Network
from pynn.training.evaluation import count_correct, summed_cost
from pynn.training.trainer import Trainer

EXPORT_FORMS = {"onnx": "ONNX", "json": "JSON", "npz": ".npz", "python": "one Python file needing only numpy"}
MAX_IMAGE_PIXELS = 4096 * 4096  # Pillow refuses twice this and warns above it; a digit is far smaller


def layer_sizes(text: str) -> list[int]:
    """"784,30,10" → [784, 30, 10]."""
    try:
        return [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"layer sizes must be comma-separated integers, got {text!r}") from None


def parser() -> argparse.ArgumentParser:
    cli = argparse.ArgumentParser(prog="python -m pynn", description="Train and use small networks on MNIST.")
    commands = cli.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a network on MNIST and save it as JSON (or .npz)")
    train.add_argument("--architecture", choices=list(ARCHITECTURES), default="mlp",
                       help="mlp: sigmoid layers of --sizes; conv: 20 5x5 filters, 2x2 max-pool, a ReLU layer of "
                            "the first hidden size (100 if none), softmax (network3)")
    train.add_argument("--sizes", type=layer_sizes, default=[784, 30, 10], help="layer sizes (default 784,30,10)")
    train.add_argument("--epochs", type=int, default=30)
    train.add_argument("--minibatch-size", type=int, default=10)
    train.add_argument("--eta", type=float, default=3.0, help="learning rate")
    train.add_argument("--cost", choices=list(COSTS), default="quadratic")
    train.add_argument("--init", choices=list(INITS), default="standard",
                       help="N(0,1) weights (the seed's) or N(0,1/sqrt(n_in))")
    train.add_argument("--lmbda", type=float, default=0.0, help="L2 regularisation")
    train.add_argument("--seed", type=int, default=None, help="for a reproducible run")
    train.add_argument("--train-size", type=int, default=50_000, help="use the first N training images")
    train.add_argument("--eval", choices=["validation", "test"], default="test",
                       help="data to report accuracy on after each epoch (Nielsen's book uses test)")
    train.add_argument("--out", default="model.json", help="where to save the trained network")

    evaluate = commands.add_parser("evaluate", help="accuracy of a saved network on MNIST")
    evaluate.add_argument("model")
    evaluate.add_argument("--split", choices=["validation", "test"], default="test")

    predict = commands.add_parser("predict", help="the digit in an image file (needs Pillow)")
    predict.add_argument("model")
    predict.add_argument("image")

    export = commands.add_parser("export", help="write a model file (JSON, .npz or .onnx) as ONNX, JSON or .npz")
    export.add_argument("model")
    export.add_argument("--to", choices=list(EXPORT_FORMS), required=True,
                        help="onnx: for onnxruntime, PyTorch (onnx2torch), Netron (needs pynn[onnx]); "
                             "json: network2's layout (the MLP) or pynn's; npz: what the page loads fastest; "
                             "python: a .py predictor with the weights inside, needing only numpy")
    export.add_argument("out")
    return cli


def train(args: argparse.Namespace) -> None:
    from tqdm import tqdm

    out = Path(args.out)
    if not out.parent.is_dir():
        raise ValueError(f"--out {args.out}: folder {out.parent} does not exist")
    if out.is_dir():
        raise ValueError(f"--out {args.out} is a folder; give a file name")
    if not 1 <= args.train_size <= mnist.SPLITS["train"]:
        raise ValueError(f"--train-size must be between 1 and {mnist.SPLITS['train']}, got {args.train_size}")
    if args.architecture == "conv":
        if args.sizes[0] != 784 or args.sizes[-1] != 10:
            raise ValueError("--architecture conv reads 28×28 digits: --sizes must start with 784 and end with 10")
        network = network_for({"architecture": "conv", "hidden": args.sizes[1:-1][:1], "seed": args.seed})
    else:
        network = Network(args.sizes, cost=args.cost, init=args.init, seed=args.seed)
    modelfile.check_parameter_count(network)  # before training, not after it: a model load refuses is not saved
    trainer = Trainer(network, mnist.load_dataset("train", limit=args.train_size), args.epochs, args.minibatch_size,
                      args.eta, lmbda=args.lmbda, evaluation_data=mnist.load_dataset(args.eval))
    with tqdm(total=trainer.batches_per_epoch * args.epochs, unit="batch", dynamic_ncols=True) as bar:
        while not trainer.done:
            progress = trainer.run(max_seconds=0.25)
            bar.update(progress.epoch * trainer.batches_per_epoch + progress.batch - bar.n)
            if progress.cost is not None:
                bar.set_postfix(epoch=progress.epoch + 1, cost=f"{progress.cost:.4f}")
            if progress.epoch_done:
                bar.write(f"Epoch {progress.epoch}: {progress.accuracy:.4f} {args.eval} accuracy")
    meta = {"settings": vars(args), f"{args.eval}_accuracy": trainer.history[-1]["accuracy"] if args.epochs else None}
    out = Path(args.out)
    try:
        modelfile.save(network, out, meta=meta)
    except modelfile.UnloadableModelError as error:  # too large for JSON: keep the trained weights as .npz
        if out.suffix.lower() == ".npz":
            raise
        out = out.with_suffix(".npz")
        modelfile.save(network, out, meta=meta)
        print(f"{error}: saved as .npz instead")
    print(f"saved {out}")


def evaluate(args: argparse.Namespace) -> None:
    network = modelfile.load(args.model)
    data = mnist.load_dataset(args.split)
    start = time.perf_counter()
    correct = count_correct(network, data)
    print(f"{args.split} accuracy {correct / len(data):.4f} ({correct} / {len(data)}), "
          f"mean cost {summed_cost(network, data) / len(data):.4f}, {time.perf_counter() - start:.2f} s")


def predict(args: argparse.Namespace) -> None:
    try:
        from PIL import Image
    except ImportError:
        raise RuntimeError("predict needs Pillow: pip install pillow") from None
    from pynn.data.digits import normalize_digit

    network = modelfile.load(args.model)
    if not Path(args.image).is_file():
        raise ValueError(f"{args.image} is not a regular file")
    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(args.image) as image:
                gray = np.asarray(image.convert("L"), dtype=np.float64)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValueError(f"{args.image} is over {MAX_IMAGE_PIXELS:,} pixels; a digit needs far fewer") from None
    except Image.UnidentifiedImageError:
        raise ValueError(f"{args.image} is not an image Pillow can read") from None
    if np.median(gray) > 127:  # dark ink on a light page: MNIST's ink is light on dark
        gray = 255 - gray
    outputs = network.feedforward(normalize_digit(gray, ink_max=255))[:, 0]
    shares = outputs / outputs.sum()
    print(f"digit {int(np.argmax(outputs))}")
    for digit, share in enumerate(shares):
        print(f"  {digit}: {share:6.1%} {'█' * round(share * 40)}")


def export(args: argparse.Namespace) -> None:
    """Read any model file pynn reads, write it in ``--to``'s form, atomically (a crash leaves no half file)."""
    out = Path(args.out)
    if not out.parent.is_dir() or out.is_dir():
        raise ValueError(f"{args.out}: give a file name in an existing folder")
    network = modelfile.load(args.model)
    if args.to == "onnx":
        from pynn.files.onnx_export import to_onnx

        data = to_onnx(network)
    elif args.to == "python":
        from pynn.files.python_export import to_python

        data = to_python(network).encode("utf-8")
    else:
        data = modelfile.encode(network, form=args.to)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(data)
    partial.replace(out)
    print(f"saved {out} ({EXPORT_FORMS[args.to]}, {len(data):,} bytes)")


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        {"train": train, "evaluate": evaluate, "predict": predict, "export": export}[args.command](args)
    except (ValueError, TypeError, RuntimeError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0
