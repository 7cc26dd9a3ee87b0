"""The book's machinery: what builds and checks the book, not what answers the homework.

A student reading the solutions can skip this package. The homework's modules use two
of its pieces as plain decorators and context managers (:func:`hw2.book.cache.cached`,
:func:`hw2.book.memory.kept_memory`); the pages use the rest.

- :mod:`hw2.book.cache`: on-disk cache of trained results, keyed by the code that
  determines them.
- :mod:`hw2.book.sources`: which ``hw2`` code a page or a trainer runs, and its
  fingerprint (what keys the cache and the executed pages).
- :mod:`hw2.book.glue`: myst-nb's glue in the book, harmless outside it.
- :mod:`hw2.book.phone`: each figure shown twice, for the page and for a phone.
- :mod:`hw2.book.memory`: glibc's malloc told to keep freed memory while the CNN trains.
- :mod:`hw2.book.exec_report`: what produced the book's numbers (versions, CPU,
  arithmetic, the pinned run's fingerprint).
"""
