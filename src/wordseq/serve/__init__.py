"""``wordseq serve``: a local web page and JSON HTTP API over the models named on the command line.

:mod:`wordseq.serve.app` builds the Starlette application (routes, error handling, limits);
:mod:`wordseq.serve.registry` names and classifies the loaded models; one module per model kind turns a
model into the API's JSON (:mod:`~wordseq.serve.vectors`, :mod:`~wordseq.serve.lm`, :mod:`~wordseq.serve.tasks`);
:mod:`wordseq.serve.limits` holds the request, generation and concurrency limits.
"""
