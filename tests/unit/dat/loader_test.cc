// Loader tests: arriving with the hostile-DAT suite.
