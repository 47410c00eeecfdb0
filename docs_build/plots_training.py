"""Plot of examples/training-run.md, drawn by running the page's training code.

The runs are the page's: the same helpers of ``lossref.examples``, the same data split,
initialisation, mini-batch order and hyperparameters, so the curves are the losses whose
per-epoch means and largest difference the page prints.
"""

import numpy as np
from plots import plot

# the settings of the page's runs (examples/training-run.md, "Training in NumPy")
EPOCHS = 20
ADAM = {"optimizer": "adam", "lr": 3e-3}
SGD = {"optimizer": "sgd", "lr": 0.03, "momentum": 0.9}


@plot("training-run-curves", size=(7.5, 3.3))
def training_run_curves(fig):
    """Mini-batch loss of the NumPy and torch Adam runs (and NumPy SGD) per step, and the
    relative difference of the two Adam runs in units of float64's machine epsilon."""
    from threadpoolctl import threadpool_limits

    from lossref.examples import init_mlp, load_digits_split, train_mlp_numpy, train_mlp_torch

    X_train, _, y_train, _ = load_digits_split(test_size=0.2, seed=0)
    start = init_mlp((64, 48, 10), init="he", seed=0)
    # one BLAS thread, as on the page: the last bits of a matrix product can depend on the
    # number of threads, and the right-hand panel shows exactly those bits
    with threadpool_limits(limits=1, user_api="blas"):
        adam_params = [p.copy() for p in start]
        adam_losses = train_mlp_numpy(adam_params, X_train, y_train, epochs=EPOCHS, **ADAM)
        sgd_params = [p.copy() for p in start]
        sgd_losses = train_mlp_numpy(sgd_params, X_train, y_train, epochs=EPOCHS, **SGD)
        torch_losses, _ = train_mlp_torch(start, X_train, y_train, epochs=EPOCHS,
                                          lr=ADAM["lr"])

    steps_per_epoch = len(adam_losses) // EPOCHS
    epoch = np.arange(1, len(adam_losses) + 1) / steps_per_epoch
    left, right = fig.subplots(1, 2)
    left.semilogy(epoch, sgd_losses, color="C2", lw=0.7, alpha=0.6,
                  label="NumPy SGD, momentum 0.9, lr 0.03")
    left.semilogy(epoch, adam_losses, color="C0", lw=0.9, label="NumPy Adam, lr 0.003")
    every = slice(steps_per_epoch // 3, None, steps_per_epoch // 3)
    left.semilogy(epoch[every], torch_losses[every], "o", ms=3, mfc="none", color="C1",
                  label="torch Adam (autograd), every 15th step")
    left.set(xlabel="epoch", ylabel="mini-batch cross-entropy",
             title="64-48-10 MLP on the digits, batch 32")
    left.legend(fontsize=7, loc="lower left")

    ulps = np.abs(adam_losses - torch_losses) / torch_losses / np.finfo(np.float64).eps
    right.plot(epoch, ulps, ".", ms=2, color="C0", alpha=0.6)
    right.plot(epoch, np.maximum.accumulate(ulps), color="C3", lw=1.2, label="largest so far")
    right.set(xlabel="epoch", ylabel="|NumPy − torch| / torch  ($\\times 2^{-52}$)",
              title="NumPy Adam against torch Adam", ylim=(0, None))
    right.legend(fontsize=8, loc="upper left")
