// Delta tests: arriving with vigil-dat delta/apply.
