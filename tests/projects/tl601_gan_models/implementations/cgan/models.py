import torch
import torch.nn as nn


class Generator(nn.Module):
    def __init__(self, latent_dim=100, n_classes=10, img_size=32):
        super().__init__()
        self.label_emb = nn.Embedding(n_classes, n_classes)

        def block(in_feat, out_feat, normalize=True):
            layers = [nn.Linear(in_feat, out_feat)]
            if normalize:
                layers.append(nn.BatchNorm1d(out_feat, 0.8))
            layers.append(nn.LeakyReLU(0.2, inplace=True))
            return layers

        self.model = nn.Sequential(*block(latent_dim + n_classes, 128, normalize=False), *block(128, 256),
                                   nn.Linear(256, img_size * img_size), nn.Tanh())

    def forward(self, noise, labels):
        return self.model(torch.cat((self.label_emb(labels), noise), -1))


class Discriminator(nn.Module):
    def __init__(self, n_classes=10, img_size=32):
        super().__init__()
        self.model = nn.Sequential(nn.Linear(n_classes + img_size * img_size, 512), nn.Dropout(0.4),
                                   nn.LeakyReLU(0.2, inplace=True), nn.Linear(512, 1))

    def forward(self, img, labels):
        return self.model(torch.cat((img.view(img.size(0), -1), labels), -1))
