import torch

from utils.dist import build_model

model = build_model(10)
model.load_state_dict(torch.load("best.pth"))
scripted = torch.jit.script(model)
scripted.save("model.pt")
