"""hw2.check.cnn_model (hw2.check.cnn), on CNNs built like students' answers: a layer
counts only if the forward pass runs it, heads are read as two scores, one logit or one
probability (and the report says which), non-finite outputs fail with their count, and
a model torch.fx cannot trace is still read from its run."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from hw2 import check


class StudentCNN(nn.Module):
    """Every required part, set by hand so that it tells the test folder's dark cats
    from its bright dogs: the convolutions start at zero, so the residual block passes
    the image through and the head reads its mean brightness. ``head``: "two" logits,
    "logit" (one), "sigmoid" (one probability of dog), "log_softmax"."""

    def __init__(self, functional=False, head="two"):
        super().__init__()
        self.functional, self.head = functional, head
        self.conv1 = nn.Conv2d(3, 3, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(3)
        self.conv2 = nn.Conv2d(3, 3, 3, padding=1, bias=False)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(3, 2 if head in ("two", "log_softmax") else 1)
        with torch.no_grad():
            for layer in (self.conv1, self.conv2):
                layer.weight.zero_()
            if self.fc.out_features == 2:  # dog minus cat logit: 6 m - 1
                self.fc.weight.copy_(torch.tensor([[-1.0] * 3, [1.0] * 3]))
                self.fc.bias.copy_(torch.tensor([0.5, -0.5]))
            else:
                self.fc.weight.fill_(2.0)
                self.fc.bias.fill_(-1.0)

    def body(self, x):
        if self.functional:
            y = x.clone()
            y += self.conv2(F.relu(self.bn(self.conv1(x))))
            return F.max_pool2d(F.relu(y), 2)
        return self.pool(torch.relu(x + self.conv2(torch.relu(self.bn(self.conv1(x))))))

    def forward(self, x):
        out = self.fc(F.adaptive_avg_pool2d(self.body(x), 1).flatten(1))
        if self.head == "sigmoid":
            return torch.sigmoid(out)
        return F.log_softmax(out, 1) if self.head == "log_softmax" else out


class NoSkip(StudentCNN):
    def body(self, x):
        return self.pool(torch.relu(self.conv2(torch.relu(self.bn(self.conv1(x))))))


class Unused(StudentCNN):
    """Defines conv2 and bn but its forward pass runs only conv1."""

    def body(self, x):
        return self.pool(torch.relu(x + self.conv1(x)))


class Diverged(StudentCNN):
    """Training diverged: NaN on most images, infinite on some."""

    def __init__(self):
        super().__init__()
        self.register_buffer(
            "blowup", torch.tensor([[math.nan]] * 4 + [[math.inf]] + [[0.0]] * 3)
        )  # the 8 images

    def forward(self, x):
        return super().forward(x) + self.blowup


class Untraceable(StudentCNN):
    """A branch on the data: torch.fx cannot trace it, the run still shows its parts."""

    def body(self, x):
        y = super().body(x)
        return y if float(y.sum()) > -1e9 else -y


@pytest.fixture(scope="module")
def folder(tmp_path_factory, make_folder):
    return str(make_folder(tmp_path_factory.mktemp("data"), n=8))


def test_cnn_check_finds_every_part(folder):
    for model in (StudentCNN(), StudentCNN(functional=True)):
        report = check.cnn_model(model.eval(), data_dir=folder, size=32)
        assert report.passed, str(report)


@pytest.mark.parametrize(
    "head, reading",
    [
        ("two", "two class scores"),
        ("logit", "logit of dog"),
        ("sigmoid", "probability of dog"),
        ("log_softmax", "log-probabilities"),
    ],
)
def test_cnn_check_reads_each_kind_of_head(folder, head, reading):
    report = check.cnn_model(StudentCNN(head=head).eval(), data_dir=folder, size=32)
    assert report.passed and "accuracy 100.0%" in report.tried, str(report)
    assert reading in str(report)


def test_non_finite_outputs_fail_with_their_count(folder):
    report = check.cnn_model(Diverged().eval(), data_dir=folder, size=32)
    assert not report.passed
    assert report.failure.why == (
        "1 requirement not met: finite outputs: 5 of 8 images "
        "gave non-finite outputs (4 NaN, 1 infinite); has "
        "training diverged?"
    ), str(report)


def test_an_untraceable_model_is_read_from_its_run(folder):
    report = check.cnn_model(Untraceable().eval(), data_dir=folder, size=32)
    assert report.failure.why == "1 requirement not met: a residual connection"
    assert "could not be traced" in str(report)


def test_a_layer_defined_but_never_run_earns_nothing(folder):
    report = check.cnn_model(Unused().eval(), data_dir=folder, size=32)
    assert not report.passed
    assert "two convolutions" in report.failure.why
    assert "batch norm" in report.failure.why
    assert "a residual connection" not in report.failure.why  # x + conv1(x) skips


def test_cnn_check_lists_everything_missing(folder):
    report = check.cnn_model(NoSkip().eval(), data_dir=folder, size=32)
    assert not report.passed and "a residual connection" in report.failure.why
    assert "convolutions" not in report.failure.why and "pooling" not in report.failure.why
    # One convolution and a linear layer, set to call every dark image a dog:
    bare = nn.Sequential(nn.Conv2d(3, 1, 1), nn.Flatten(), nn.Linear(32 * 32, 2))
    with torch.no_grad():
        bare[0].weight.fill_(1.0)
        bare[0].bias.zero_()
        bare[2].weight.copy_(torch.stack([torch.ones(1024), -torch.ones(1024)]))
        bare[2].bias.zero_()
    report = check.cnn_model(bare, data_dir=folder, size=32)
    for part in [
        "two convolutions",
        "batch norm",
        "a non-linearity",
        "pooling",
        "a residual connection",
        "75% validation accuracy (got 0.0%)",
    ]:
        assert part in report.failure.why
    broken = check.cnn_model(
        nn.Sequential(nn.Conv2d(3, 2, 5), nn.Linear(3, 2)), data_dir=folder, size=32
    )
    assert "running the model failed" in broken.failure.why


def test_a_cnn_class_is_a_type_error():
    with pytest.raises(TypeError, match="instance, got the class StudentCNN"):
        check.cnn_model(StudentCNN)
