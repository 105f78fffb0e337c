import torch
import torch.nn.functional as F

from models import ResNet


def main(train_loader, path_t, epochs=240):
    teacher = ResNet()
    teacher.load_state_dict(torch.load(path_t, map_location="cpu")["model"])
    student = ResNet()
    optimizer = torch.optim.SGD(student.parameters(), lr=0.05)
    for epoch in range(epochs):
        student.train()
        for x, y in train_loader:
            with torch.no_grad():
                logit_t = teacher(x)
            logit_s = student(x)
            loss = F.cross_entropy(logit_s, y) + F.kl_div(logit_s.log_softmax(1), logit_t.softmax(1))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
