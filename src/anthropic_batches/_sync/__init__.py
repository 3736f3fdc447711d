"""The sync twin of `anthropic_batches._async`.

Every module here except this one and `_backend.py` is generated from its `_async` source by
`scripts/unasync.py`, one line for one line: do not edit them; edit the `_async` source and
run `python scripts/unasync.py`. `_backend.py` is written by hand: it holds what differs
between the twins (sleeping, running calls together, running blocking functions).
"""
