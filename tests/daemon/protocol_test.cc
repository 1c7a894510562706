// vigild: being written.
