"""TL404: an inference script loads a whole pickled model (`torch.save(model, path)` style) and
runs it.

Symptom: on torch >= 2.6, `torch.load(path)` defaults to `weights_only=True` and raises
`_pickle.UnpicklingError: Weights only load failed ...` for the pickled module.  After the
unsafe fix (`weights_only=False`, acceptable here because the case made the file itself) the
model loads and reproduces the outputs of the model that was saved.  Equivalence: not
applicable, the original never loads.
"""

UNSAFE = True

PROGRAM = '''
import torch
import torch.nn as nn


class Classifier(nn.Module):
    def __init__(self, features=8, classes=3):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(features, 16), nn.ReLU(), nn.Linear(16, classes))

    def forward(self, x):
        return self.net(x)


def predict(path, x):
    model = torch.load(path, map_location="cpu")
    model.eval()
    with torch.no_grad():
        return model(x)
'''


def symptom(program):
    import pickle

    import torch

    torch.manual_seed(0)
    saved = program.Classifier()
    torch.save(saved, "classifier.pt")  # a trusted file: this case wrote it
    x = torch.randn(4, 8, generator=torch.Generator().manual_seed(1))
    try:
        predicted = program.predict("classifier.pt", x)
    except pickle.UnpicklingError as error:
        if "Weights only load failed" not in str(error):
            raise
        return f"UnpicklingError: {str(error).splitlines()[0][:120]}"
    with torch.no_grad():
        torch.testing.assert_close(predicted, saved(x))
    return None
