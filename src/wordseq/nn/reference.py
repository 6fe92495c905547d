r"""From-scratch numpy reference: forward pass and hand-written backpropagation through time (BPTT).

Two networks, each with a softmax output layer and the mean cross-entropy loss over all T x B positions,
written as in the lectures so the code can be read beside the derivation and used as a test oracle
(it is slow and meant for small sizes, in float64).

Notation (column vectors for one stream; the code runs a batch of B streams, one per row)::

    x_t  input vector at step t (t = 1..T)            h_0  initial hidden state (zeros by default)
    y_t  = W_hy h_t + b_y                             p_t  = softmax(y_t)
    L    = -(1/N) sum_t log p_t[target_t],  N = T * B

``*`` is the elementwise product and ``dz`` stands for the total derivative dL/dz.

Output layer, for every step: dy_t = dL/dy_t = (p_t - onehot(target_t)) / N, and
dW_hy = sum_t dy_t h_t^T, db_y = sum_t dy_t.

Vanilla (Elman, tanh) RNN, see :func:`rnn_loss`::

    h_t = tanh(a_t),   a_t = W_xh x_t + W_hh h_{t-1} + b_h

    The loss reaches h_t through y_t and through h_{t+1}, so going backwards from t = T (dh_{T+1} = 0):
    dh_t  = W_hy^T dy_t + W_hh^T (dh_{t+1} * (1 - h_{t+1}^2))
          = W_hy^T dy_t + W_hh^T da_{t+1}
    da_t  = dh_t * (1 - h_t^2)                     (tanh' = 1 - tanh^2)
    dW_xh = sum_t da_t x_t^T    dW_hh = sum_t da_t h_{t-1}^T    db_h = sum_t da_t
    dx_t  = W_xh^T da_t         dh_0  = W_hh^T da_1

LSTM, see :func:`lstm_loss`; the four gates are stacked in W_xh (4H x D), W_hh (4H x H), b_h (4H) in
torch's order i, f, g, o::

    [a_i; a_f; a_g; a_o] = W_xh x_t + W_hh h_{t-1} + b_h
    i = sigma(a_i)   f = sigma(a_f)   g = tanh(a_g)   o = sigma(a_o)
    c_t = f * c_{t-1} + i * g
    h_t = o * tanh(c_t)

    Backwards from t = T, with da_{T+1} = 0 and dc_{T+1} = 0:
    dh_t  = W_hy^T dy_t + W_hh^T da_{t+1}
    do    = dh_t * tanh(c_t)
    dc_t  = dh_t * o * (1 - tanh(c_t)^2) + dc_{t+1} * f_{t+1}  (the cell's "constant error carousel")
    di    = dc_t * g      dg = dc_t * i      df = dc_t * c_{t-1}
    da_i  = di * i (1 - i)    da_f = df * f (1 - f)    da_g = dg * (1 - g^2)    da_o = do * o (1 - o)
    dW_xh = sum_t da_t x_t^T    dW_hh = sum_t da_t h_{t-1}^T    db_h = sum_t da_t
    dx_t  = W_xh^T da_t         dh_0 = W_hh^T da_1              dc_0 = dc_1 * f_1

Every function returns the loss, the gradient of every parameter and of the initial state (and of the
inputs), and the final state, so that windows can be chained as in truncated BPTT.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Params = dict[str, np.ndarray]


# ----------------------------------------------------------------------------- helpers


def sigmoid(a: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * a))  # stable for large |a|


def one_hot(ids: np.ndarray, n: int) -> np.ndarray:
    """Ids of any shape -> float64 one-hot vectors of shape ``ids.shape + (n,)``."""
    return np.eye(n)[np.asarray(ids)]


def softmax_cross_entropy(logits: np.ndarray, targets: np.ndarray, n: int) -> tuple[float, np.ndarray]:
    """Summed cross-entropy of rows ``logits`` (B x V) against ``targets`` (B), divided by ``n``; and dL/dlogits.

    dL/dy = (softmax(y) - onehot(target)) / n.
    """
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    rows = np.arange(len(targets))
    loss = -log_p[rows, targets].sum() / n
    dy = np.exp(log_p)
    dy[rows, targets] -= 1.0
    return loss, dy / n


def init_rnn_params(
    input_size: int,
    hidden_size: int,
    output_size: int,
    rng: np.random.Generator,
    scale: float = 0.1,
    lstm: bool = False,
) -> Params:
    """Parameters drawn from U(-scale, scale): W_xh, W_hh, b_h (4 stacked gates for an LSTM), W_hy, b_y."""
    G = 4 if lstm else 1
    shapes = {
        "W_xh": (G * hidden_size, input_size),
        "W_hh": (G * hidden_size, hidden_size),
        "b_h": (G * hidden_size,),
        "W_hy": (output_size, hidden_size),
        "b_y": (output_size,),
    }
    return {k: rng.uniform(-scale, scale, size=s) for k, s in shapes.items()}


# ----------------------------------------------------------------------------- vanilla RNN


def rnn_loss(
    params: Params, xs: np.ndarray, targets: np.ndarray, h0: np.ndarray | None = None
) -> tuple[float, Params, np.ndarray]:
    """Loss, gradients and final hidden state of the tanh RNN with a softmax output (see module docstring).

    ``xs``: inputs (T, B, D); ``targets``: ids (T, B); ``h0``: (B, H) or None for zeros.
    Returns ``(loss, grads, h_T)``; ``grads`` has a key per parameter plus ``h0`` and ``xs``.
    """
    W_xh, W_hh, b_h, W_hy, b_y = (params[k] for k in ("W_xh", "W_hh", "b_h", "W_hy", "b_y"))
    T, B, _ = xs.shape
    H = W_hh.shape[0]
    N = T * B
    hs = np.zeros((T + 1, B, H))  # hs[0] = h_0, hs[t] = h_t
    hs[0] = 0.0 if h0 is None else h0

    # forward
    loss = 0.0
    dys = []
    for t in range(T):
        hs[t + 1] = np.tanh(xs[t] @ W_xh.T + hs[t] @ W_hh.T + b_h)
        loss_t, dy = softmax_cross_entropy(hs[t + 1] @ W_hy.T + b_y, targets[t], N)
        loss += loss_t
        dys.append(dy)

    # backward through time
    g = {k: np.zeros_like(v) for k, v in params.items()}
    dxs = np.zeros_like(xs)
    da_next = np.zeros((B, H))  # da_{t+1}
    for t in reversed(range(T)):
        h = hs[t + 1]
        g["W_hy"] += dys[t].T @ h
        g["b_y"] += dys[t].sum(axis=0)
        dh = dys[t] @ W_hy + da_next @ W_hh  # W_hy^T dy_t + W_hh^T da_{t+1}
        da = dh * (1.0 - h * h)
        g["W_xh"] += da.T @ xs[t]
        g["W_hh"] += da.T @ hs[t]
        g["b_h"] += da.sum(axis=0)
        dxs[t] = da @ W_xh
        da_next = da
    g["h0"] = da_next @ W_hh
    g["xs"] = dxs
    return float(loss), g, hs[T].copy()


# ----------------------------------------------------------------------------- LSTM


def lstm_loss(
    params: Params, xs: np.ndarray, targets: np.ndarray, h0: np.ndarray | None = None, c0: np.ndarray | None = None
) -> tuple[float, Params, tuple[np.ndarray, np.ndarray]]:
    """Loss, gradients and final ``(h_T, c_T)`` of the LSTM with a softmax output (see module docstring).

    ``xs``: (T, B, D); ``targets``: (T, B); ``h0``, ``c0``: (B, H) or None for zeros. ``grads`` has a key
    per parameter plus ``h0``, ``c0`` and ``xs``.
    """
    W_xh, W_hh, b_h, W_hy, b_y = (params[k] for k in ("W_xh", "W_hh", "b_h", "W_hy", "b_y"))
    T, B, _ = xs.shape
    H = W_hh.shape[1]
    N = T * B
    hs = np.zeros((T + 1, B, H))
    cs = np.zeros((T + 1, B, H))
    hs[0] = 0.0 if h0 is None else h0
    cs[0] = 0.0 if c0 is None else c0
    gates = []  # (i, f, g, o) per step

    # forward
    loss = 0.0
    dys = []
    for t in range(T):
        a = xs[t] @ W_xh.T + hs[t] @ W_hh.T + b_h
        i, f, gg, o = sigmoid(a[:, :H]), sigmoid(a[:, H : 2 * H]), np.tanh(a[:, 2 * H : 3 * H]), sigmoid(a[:, 3 * H :])
        cs[t + 1] = f * cs[t] + i * gg
        hs[t + 1] = o * np.tanh(cs[t + 1])
        gates.append((i, f, gg, o))
        loss_t, dy = softmax_cross_entropy(hs[t + 1] @ W_hy.T + b_y, targets[t], N)
        loss += loss_t
        dys.append(dy)

    # backward through time
    g = {k: np.zeros_like(v) for k, v in params.items()}
    dxs = np.zeros_like(xs)
    da_next = np.zeros((B, 4 * H))  # da_{t+1}
    dc_next = np.zeros((B, H))  # dL/dc_t flowing back from step t+1: dc_{t+1} * f_{t+1}
    for t in reversed(range(T)):
        i, f, gg, o = gates[t]
        h, c, c_prev = hs[t + 1], cs[t + 1], cs[t]
        g["W_hy"] += dys[t].T @ h
        g["b_y"] += dys[t].sum(axis=0)
        dh = dys[t] @ W_hy + da_next @ W_hh
        tc = np.tanh(c)
        do = dh * tc
        dc = dh * o * (1.0 - tc * tc) + dc_next
        di, dg, df = dc * gg, dc * i, dc * c_prev
        da = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - gg * gg), do * o * (1 - o)], axis=1)
        g["W_xh"] += da.T @ xs[t]
        g["W_hh"] += da.T @ hs[t]
        g["b_h"] += da.sum(axis=0)
        dxs[t] = da @ W_xh
        da_next, dc_next = da, dc * f
    g["h0"] = da_next @ W_hh
    g["c0"] = dc_next
    g["xs"] = dxs
    return float(loss), g, (hs[T].copy(), cs[T].copy())


# ----------------------------------------------------------------------------- gradient checking


def numerical_gradient(f: Callable[[], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """dF/dx by central differences, (f(x + eps e_i) - f(x - eps e_i)) / (2 eps), perturbing ``x`` in place.

    ``f`` takes no argument and reads ``x`` (an array it closes over); ``x`` must be float64 and is restored.
    The error is O(eps^2) from truncation plus O(machine eps / eps) from rounding.
    """
    if x.dtype != np.float64:
        raise TypeError("gradient checks need float64 arrays")
    grad = np.zeros_like(x)
    flat, gflat = x.reshape(-1), grad.reshape(-1)  # views
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + eps
        plus = f()
        flat[k] = old - eps
        minus = f()
        flat[k] = old
        gflat[k] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / (||a|| + ||b||): 0 for equal arrays, robust to entries near zero."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    denom = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if denom == 0 else float(np.linalg.norm(a - b) / denom)


def check_gradients(
    loss_fn: Callable[[], tuple[float, Params]], arrays: dict[str, np.ndarray], eps: float = 1e-6
) -> dict[str, float]:
    """Relative error between analytic and numerical gradients for each array in ``arrays``.

    ``loss_fn()`` returns ``(loss, grads)`` computed from the current contents of ``arrays`` (which it
    closes over); ``grads[name]`` is compared with central differences of the loss w.r.t. ``arrays[name]``.
    """
    _, grads = loss_fn()
    return {
        name: relative_error(grads[name], numerical_gradient(lambda: loss_fn()[0], x, eps))
        for name, x in arrays.items()
    }
