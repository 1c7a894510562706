// vigil-dat delta/apply: arriving next.
