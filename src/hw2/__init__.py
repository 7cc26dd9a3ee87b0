"""hw2: the code behind the book's worked solutions to homework 2 (CNNs and RNNs).

One module per idea; each chapter's page imports its module and the shared helpers.

Theory:

- :mod:`hw2.conv`: output sizes of convolutions, derivatives of a 1-D convolution (1.1).
- :mod:`hw2.gated_rnn`: the gated RNN's forward pass, gradients and Jacobians (1.2.1).
- :mod:`hw2.attention_rnn`: AttentionRNN(k) and AttentionRNN(inf) (1.2.2).
- :mod:`hw2.diagrams`: the cell and unrolled diagrams of both recurrent networks.
- :mod:`hw2.oracles`: autograd's answers, which every closed form is checked against.
- :mod:`hw2.temporal_order`: the course's temporal-order task, draw for draw (1.3, C).
- :mod:`hw2.loss_curves`: the spiky LSTM run, its replay, the fix (1.3, C).
- :mod:`hw2.spikes`: what the runs show: the spike metric and rule, the jumps explained by
  counterfactual replays, the figures (1.3, C).
- :mod:`hw2.spikes_report`: the chapter's runs, tables and glued numbers (1.3, C).

Practice:

- :mod:`hw2.catsdogs`: cats vs dogs with a small ResNet on a CPU: the recipe and the
  training (A), from :mod:`hw2.catsdogs_data` (the folders, the stored images, the
  augmentation) and :mod:`hw2.catsdogs_model` (the ResNet, its precision, evaluate,
  predict).
- :mod:`hw2.catsdogs_report`: what the run shows: compute and the processor's share, the
  curves' answers, figures (A).
- :mod:`hw2.echo`: a GRU that echoes characters at a fixed or variable delay (B).

Workbook:

- :mod:`hw2.check`: check your own answer to each question (one function per question).
- :mod:`hw2.check_practice`: the checks of the practical parts (A, B, C), which
  :mod:`hw2.check` re-exports; :mod:`hw2.check_cnn`: how the CNN's layers and outputs
  are read.
- :mod:`hw2.workbook`: the machinery of those checks: cases, shrinking, reports.

Shared:

- :mod:`hw2.runtime`: seeding, threads, progress bars, timing (every page calls
  :func:`hw2.runtime.setup`).
- :mod:`hw2.download`: the verified cats-vs-dogs downloader.
- :mod:`hw2.plotting`: the book's plot style and figure helpers.
- :mod:`hw2.glue`: myst-nb's glue in the book, harmless outside it.
- :mod:`hw2.checks`: argument checks shared by every module.
- :mod:`hw2.cache`: on-disk cache of trained results, keyed by what determines them.
- :mod:`hw2.sources`: which modules a page or trainer runs, and their fingerprint.
- :mod:`hw2.arithmetic`: named floating-point settings, so a chaotic run is the same on
  every x86 CPU.
"""

__version__ = "0.1.0"
