from config import loader


def main(epochs, step):
    for epoch in range(epochs):
        for batch in loader:
            step(batch)
