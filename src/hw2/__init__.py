"""hw2: the code behind the book's worked solutions to homework 2 (CNNs and RNNs).

One module per idea; each chapter's page imports its module and the shared helpers.

Theory:

- :mod:`hw2.conv`: output sizes of convolutions, derivatives of a 1-D convolution (1.1).
- :mod:`hw2.gated_rnn`: the gated RNN's forward pass, gradients and Jacobians (1.2.1).
- :mod:`hw2.attention_rnn`: AttentionRNN(k) and AttentionRNN(inf) (1.2.2).
- :mod:`hw2.diagrams`: the cell and unrolled diagrams of both recurrent networks.
- :mod:`hw2.oracles`: autograd's answers, which every closed form is checked against.
- :mod:`hw2.temporal_order`: the course's temporal-order task, draw for draw (1.3, C).
- :mod:`hw2.loss_curves`: the spiky LSTM run, its replay, the fix (1.3, C): training,
  over :mod:`hw2.lstm_run` (the model, the recipe, the run's record, one training step).
- :mod:`hw2.spikes`: what the runs show: the spike metric and rule, the jumps, the
  figures (1.3, C); :mod:`hw2.counterfactual`: each jump explained by replays that
  change one update.
- :mod:`hw2.spikes_report`: the chapter's runs and tables (1.3, C), with
  :mod:`hw2.spikes_facts`, the numbers its page glues.

Practice:

- :mod:`hw2.catsdogs`: cats vs dogs with a small ResNet on a CPU: the recipe and the
  training (A), from :mod:`hw2.catsdogs_data` (the folders, the stored images, the
  augmentation) and :mod:`hw2.catsdogs_model` (the ResNet, its precision, evaluate,
  predict).
- :mod:`hw2.catsdogs_report`: what the run shows: compute and the processor's share, the
  curves' answers, figures (A).
- :mod:`hw2.echo`: a GRU that echoes characters at a fixed or variable delay (B): the
  page's entry point, over :mod:`hw2.echo_data` (strings, batches, datasets),
  :mod:`hw2.echo_models` (the two GRUs), :mod:`hw2.echo_train` (recipe, history,
  trainers) and :mod:`hw2.echo_eval` (the homework's check, the book's aims).

Workbook:

- :mod:`hw2.check`: check your own answer to each question (one function per question);
  written by chapter in :mod:`hw2.check.conv`, :mod:`hw2.check.rnn`,
  :mod:`hw2.check.practice` and :mod:`hw2.check.cnn`, over the engine that tries cases,
  shrinks failures and writes reports (:mod:`hw2.check.engine`).

Shared:

- :mod:`hw2.runtime`: seeding, threads, device, progress bars, timing (every page calls
  :func:`hw2.runtime.setup`).
- :mod:`hw2.download`: the verified cats-vs-dogs downloader.
- :mod:`hw2.plotting`: the book's plot style and figure helpers.
- :mod:`hw2.arithmetic`: named floating-point settings, so a chaotic run is the same on
  every x86 CPU (the loss-curves chapter's evidence rests on it).
- ``hw2._validate``: the argument checks every module shares.

The book's machinery (result cache, code fingerprints, glue, phone rendering, memory
tuning, execution report) is in :mod:`hw2.book`; a student can skip it.
"""

__version__ = "0.1.0"
