// Container tests: arriving with the hostile-DAT suite.
