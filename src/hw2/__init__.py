"""hw2: the code behind the book's worked solutions to homework 2 (CNNs and RNNs).

One module per homework topic, plus small shared helpers:

- :mod:`hw2.utils`: seeding and torch thread count (every page calls :func:`hw2.utils.setup`).
- :mod:`hw2.cache`: on-disk cache of trained results, keyed by everything that determines them.
- :mod:`hw2.datasets`: the cats-vs-dogs downloader (download, verify, extract atomically).
"""

__version__ = "0.1.0"
