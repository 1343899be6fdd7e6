# Tests: C unit tests (cmocka) run by `make check`; the e2e and browser suites
# (node's test runner) are run by tools/dev test, after `make check`.
include tests/unit/local.mk

TESTS += $(check_PROGRAMS)
EXTRA_DIST += tests/e2e tests/data tests/run-all.sh tests/unit/machine_test.h
